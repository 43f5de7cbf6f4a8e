import { consoleFile } from './console.controller';

describe('consoleFile', () => {
  it('serves an extensionless module name as its .js file', () => {
    expect(consoleFile('live.view')).toBe('live.view.js');
    expect(consoleFile('main.js')).toBe('main.js');
    expect(consoleFile('console.css')).toBe('console.css');
    expect(consoleFile('fields.json')).toBe('fields.json');
  });

  it('refuses names that could leave the folder or are not console assets', () => {
    for (const bad of ['..', '../package.json', '.tsbuildinfo', 'a/b.js', '..%2fx', 'index.html.bak', 'X.Y', ''])
      expect(consoleFile(bad)).toBeUndefined();
    // An unknown ending is only ever looked up as a module, never served as it is.
    expect(consoleFile('x.exe')).toBe('x.exe.js');
  });
});

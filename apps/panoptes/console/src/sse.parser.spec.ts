import { SseParser } from './sse.parser';

describe('SseParser', () => {
  it('yields events split across arbitrary chunks', () => {
    const text = 'event: flows\ndata: [{"uid":"a"}]\n\n: keep-alive\n\ndata: {"x":1}\ndata: {"y":2}\nid: 7\n\n';
    const p = new SseParser();
    const got = [...text].flatMap((ch) => p.push(ch));
    expect(got).toEqual([
      { event: 'flows', data: '[{"uid":"a"}]' },
      { event: 'message', data: '{"x":1}\n{"y":2}', id: '7' },
    ]);
  });

  it('accepts CRLF and CR line ends, including a CRLF split between chunks', () => {
    const p = new SseParser();
    expect(p.push('data: a\r')).toEqual([]);
    expect(p.push('\n\r\n')).toEqual([{ event: 'message', data: 'a' }]);
    expect(p.push('data: b\r\r: ping\n')).toEqual([{ event: 'message', data: 'b' }]);
  });

  it('does not emit an event until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.push('event: error\ndata: bad filter')).toEqual([]);
    expect(p.push('\n\n')).toEqual([{ event: 'error', data: 'bad filter' }]);
  });
});

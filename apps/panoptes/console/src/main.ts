// The console's shell: sign-in with an API key, the page router (#/live,
// #/overview, #/pipeline), and the light/dark switch.

import { ApiClient, ApiError } from './api.client';
import { h, mount } from './dom';
import { LiveView } from './live.view';
import { OverviewView } from './overview.view';
import { PipelineView } from './pipeline.view';
import { ConsoleContext, FieldInfo, View } from './view';

const KEY_ITEM = 'panoptes.key';
const THEME_ITEM = 'panoptes.theme';
const PAGES: { path: string; label: string; make: (ctx: ConsoleContext) => View }[] = [
  { path: 'live', label: 'Live', make: (c) => new LiveView(c) },
  { path: 'overview', label: 'Overview', make: (c) => new OverviewView(c) },
  { path: 'pipeline', label: 'Pipeline', make: (c) => new PipelineView(c) },
];

const root = document.getElementById('app')!;
let current: View | undefined;
const views = new Map<string, View>();

function storedKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM) ?? localStorage.getItem(KEY_ITEM);
}

function applyTheme(theme: string | null): void {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function effectiveTheme(): 'light' | 'dark' {
  const set = document.documentElement.dataset.theme;
  if (set === 'light' || set === 'dark') return set;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

async function loadFields(): Promise<FieldInfo[]> {
  const res = await fetch('console/fields.json');
  return res.ok ? ((await res.json()) as FieldInfo[]) : [];
}

/** A key is good when the API answers a read with it. */
async function checkKey(key: string): Promise<void> {
  await new ApiClient(key).get('/plugins');
}

function signIn(message?: string): void {
  current?.stop();
  current = undefined;
  views.clear();
  const input = h('input', {
    type: 'password',
    id: 'api-key',
    name: 'key',
    autocomplete: 'current-password',
    required: true,
    'aria-describedby': 'signin-error',
  });
  const remember = h('input', { type: 'checkbox', id: 'remember' });
  const error = h('div', { id: 'signin-error', class: 'filter-error', role: 'alert', hidden: !message }, message ?? '');
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'signin card',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const key = input.value.trim();
        button.disabled = true;
        try {
          await checkKey(key);
          (remember.checked ? localStorage : sessionStorage).setItem(KEY_ITEM, key);
          void boot(key);
        } catch (err) {
          error.hidden = false;
          error.textContent =
            err instanceof ApiError && (err.status === 401 || err.status === 403)
              ? 'This key is not accepted.'
              : `Cannot reach the API: ${(err as Error).message}`;
        } finally {
          button.disabled = false;
        }
      },
    },
    h('h1', {}, 'Panoptes'),
    h('p', { class: 'sub' }, 'Sign in with an API key from the host\u2019s config (api.keys).'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('label', { class: 'check' }, remember, ' remember on this browser'),
    error,
    button,
  );
  mount(root, h('main', { class: 'center' }, form));
  input.focus();
}

function signOut(): void {
  sessionStorage.removeItem(KEY_ITEM);
  localStorage.removeItem(KEY_ITEM);
  signIn();
}

async function boot(key: string): Promise<void> {
  // A key that stops working (rotated, revoked) sends the user back to sign in.
  const api = new ApiClient(key, () => signIn('The key was refused; sign in again.'));
  const ctx: ConsoleContext = { api, fields: await loadFields() };
  const nav = h(
    'nav',
    { 'aria-label': 'pages' },
    ...PAGES.map((p) => h('a', { href: `#/${p.path}`, 'data-page': p.path }, p.label)),
  );
  const themeBtn = h('button', { type: 'button', class: 'ghost', id: 'theme-toggle', title: 'switch light / dark' });
  const setThemeLabel = (): void => {
    themeBtn.textContent = effectiveTheme() === 'dark' ? '☀ Light' : '☾ Dark';
  };
  themeBtn.addEventListener('click', () => {
    const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME_ITEM, next);
    applyTheme(next);
    setThemeLabel();
  });
  setThemeLabel();
  const main = h('main', { id: 'page' });
  mount(
    root,
    h(
      'header',
      { class: 'top' },
      h('a', { class: 'brand', href: '#/live' }, h('img', { src: 'console/favicon.svg', alt: '' }), 'Panoptes'),
      nav,
      h('span', { class: 'spacer' }),
      themeBtn,
      h('button', { type: 'button', class: 'ghost', onclick: signOut }, 'Sign out'),
    ),
    main,
  );

  const route = (): void => {
    const path = location.hash.replace(/^#\/?/, '') || 'live';
    const page = PAGES.find((p) => p.path === path) ?? PAGES[0];
    current?.stop();
    let view = views.get(page.path);
    if (!view) views.set(page.path, (view = page.make(ctx)));
    current = view;
    for (const a of nav.querySelectorAll('a')) a.toggleAttribute('aria-current', a.dataset.page === page.path);
    document.title = `${page.label} · Panoptes`;
    mount(main, view.el);
    view.start();
  };
  window.onhashchange = route;
  route();
}

applyTheme(localStorage.getItem(THEME_ITEM));
const key = storedKey();
if (key) {
  checkKey(key).then(
    () => void boot(key),
    (err) =>
      signIn(err instanceof ApiError && err.status === 401 ? 'The stored key was refused; sign in again.' : undefined),
  );
} else {
  signIn();
}

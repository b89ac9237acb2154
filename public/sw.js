// The app shell offline: the counter must open again after a reload while the network
// is down. Every page, script, wasm and style file is fetched from the network first and
// kept; when the network fails the kept copy answers. The API is never cached here: the
// counter's data lives in IndexedDB and its commands in the outbox.
const SHELL = 'huiyuan-shell-v1';
// What a page needs to start. Kept at install, because the page that registers this
// worker has already fetched them before the worker could see it.
const SHELL_FILES = [
  '/index.html',
  '/pkg/huiyuan_app.js',
  '/pkg/huiyuan_app_bg.wasm',
  '/style/main.css',
  '/style/tokens.css',
  '/style/base.css',
  '/style/pos.css',
  '/style/m.css',
  '/style/hq.css',
  '/icon.svg',
  '/manifest.webmanifest',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting())
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== SHELL).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api')) {
    return;
  }
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(SHELL).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(async () => {
        const cache = await caches.open(SHELL);
        const kept = await cache.match(request);
        if (kept) {
          return kept;
        }
        // Any page of the app is the same index.html; the router picks the face.
        if (request.mode === 'navigate') {
          const index = await cache.match('/index.html');
          if (index) {
            return index;
          }
        }
        return Response.error();
      })
  );
});

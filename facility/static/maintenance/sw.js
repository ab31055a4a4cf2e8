// Service worker for crew pages: keeps the day's pages and checklists for when Wi-Fi drops.
// Pages: network first, falling back to the cached copy. Static files: cache first.
// Submissions are not handled here; the page queues them in IndexedDB (see offline.js).
const CACHE = "facility-crew-v2";  // a new name when these files change: old copies are dropped
const STATIC = ["/static/app.css", "/static/htmx.min.js", "/static/maintenance.css", "/static/maintenance/offline.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(STATIC)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "precache") {
    event.waitUntil(caches.open(CACHE).then((cache) =>
      Promise.all(event.data.urls.map((url) =>
        fetch(url, { credentials: "same-origin" }).then((r) => r.ok && cache.put(url, r)).catch(() => null)))));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode === "navigate" && url.pathname.startsWith("/maintenance/")) {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && !response.redirected) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(request, copy));
          }
          return response;
        })
        .catch(() => caches.match(request, { ignoreVary: true }).then((hit) => hit || caches.match("/maintenance/my-day")))
    );
  }
});

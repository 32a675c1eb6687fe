// Fills in the real URLs of this server (whatever host and --port served the page).
import { apiUrl } from '/live-socket.js';

for (const element of document.querySelectorAll('[data-ws]')) {
  const query = Object.fromEntries(new URLSearchParams(element.dataset.query || ''));
  element.textContent = apiUrl(element.dataset.ws, query);
}
for (const element of document.querySelectorAll('[data-http]')) {
  element.textContent = new URL(`/${element.dataset.http}`, location.href).href;
}

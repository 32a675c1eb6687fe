// A WebSocket that reconnects on its own, and the connection-state pill the demo pages show.
//
// LiveSocket opens the URL, and whenever the connection drops waits with exponential backoff
// (0.5 s doubling to 10 s, with jitter so that many pages do not come back at the same instant)
// before opening a new one. While the browser says it is offline it waits for the network instead.
// States: connecting, connected, reconnecting (with the time of the next attempt), offline,
// stopped.

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10000;
// A handshake that neither opens nor fails (a black-holed network) is given up after this long.
const OPEN_TIMEOUT_MS = 10000;

// The WebSocket URL of a demo API on the server that served this page, so any --port works.
export function apiUrl(stage, params = {}) {
  const url = new URL(`/${stage}`, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  return url.href;
}

export class LiveSocket {
  // url: a string, or a function returning the URL to use for each new connection.
  // onOpen(live): the connection is open (first time or again). onMessage(data, live): a frame.
  // onState(state, live): every state change.
  constructor(url, { onOpen = () => {}, onMessage = () => {}, onState = () => {} } = {}) {
    this.url = typeof url === 'function' ? url : () => url;
    this.onOpen = onOpen;
    this.onMessage = onMessage;
    this.onState = onState;
    this.state = { name: 'stopped' };
    this.socket = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.openTimer = null;
    this.onOnline = () => {
      if (this.state.name === 'offline' || this.state.name === 'reconnecting') this.connectNow();
    };
    this.onOffline = () => {
      if (this.state.name === 'reconnecting') {
        clearTimeout(this.retryTimer);
        this.setState({ name: 'offline' });
      }
    };
  }

  start() {
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    this.attempt = 0;
    this.connectNow();
  }

  // Closes the connection for good (no reconnection).
  stop() {
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    clearTimeout(this.retryTimer);
    clearTimeout(this.openTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close(1000, 'Leaving');
    }
    this.setState({ name: 'stopped' });
  }

  get connected() {
    return this.state.name === 'connected';
  }

  // Sends a JSON message; false when there is no open connection to send it on.
  send(message) {
    if (!this.connected) return false;
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    this.socket.send(text);
    return true;
  }

  connectNow() {
    clearTimeout(this.retryTimer);
    clearTimeout(this.openTimer);
    if (this.socket) {
      this.socket.onopen = this.socket.onmessage = this.socket.onclose = this.socket.onerror = null;
      this.socket.close();
    }
    this.setState({ name: 'connecting' });
    let socket;
    try {
      socket = new WebSocket(this.url());
    } catch (error) {
      console.error('wsgw demo: cannot open a WebSocket', error);
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    this.openTimer = setTimeout(() => socket.close(), OPEN_TIMEOUT_MS);
    socket.onopen = () => {
      clearTimeout(this.openTimer);
      this.attempt = 0;
      this.setState({ name: 'connected' });
      this.onOpen(this);
    };
    socket.onmessage = (event) => this.onMessage(event.data, this);
    socket.onclose = () => {
      clearTimeout(this.openTimer);
      if (this.socket !== socket) return;
      this.socket = null;
      this.scheduleRetry();
    };
  }

  scheduleRetry() {
    if (!navigator.onLine) {
      this.setState({ name: 'offline' });
      return;
    }
    const ceiling = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.attempt);
    this.attempt += 1;
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.retryTimer = setTimeout(() => this.connectNow(), delay);
    this.setState({ name: 'reconnecting', retryAt: Date.now() + delay });
  }

  setState(state) {
    this.state = state;
    this.onState(state, this);
  }
}

// Keeps `element` (the status pill) and an optional "Retry now" button in step with `live`.
// Returns the onState callback to give LiveSocket.
export function statusIndicator(element, retryButton) {
  let ticker = null;
  let live = null;
  const render = (state) => {
    element.dataset.state = state.name;
    switch (state.name) {
      case 'connecting':
        element.textContent = 'connecting';
        break;
      case 'connected':
        element.textContent = 'connected';
        break;
      case 'reconnecting': {
        const seconds = Math.max(1, Math.ceil((state.retryAt - Date.now()) / 1000));
        element.textContent = `reconnecting in ${seconds}s`;
        break;
      }
      case 'offline':
        element.textContent = 'offline';
        break;
      default:
        element.textContent = 'not connected';
    }
    if (retryButton) {
      retryButton.hidden = !(state.name === 'reconnecting' || state.name === 'offline');
    }
  };
  if (retryButton) retryButton.addEventListener('click', () => live && live.connectNow());
  return (state, socket) => {
    live = socket;
    clearInterval(ticker);
    render(state);
    if (state.name === 'reconnecting') ticker = setInterval(() => render(state), 250);
  };
}

// The last frames sent and received, for the pages' "WebSocket frames" panel.
export function frameLog(list, counter, limit = 40) {
  let count = 0;
  return (direction, text) => {
    const item = document.createElement('li');
    item.className = direction;
    const arrow = document.createElement('span');
    arrow.className = 'dir';
    arrow.textContent = direction === 'out' ? '→' : '←';
    arrow.title = direction === 'out' ? 'sent' : 'received';
    const body = document.createElement('span');
    body.textContent = text;
    item.append(arrow, body);
    list.append(item);
    while (list.children.length > limit) list.firstElementChild.remove();
    list.scrollTop = list.scrollHeight;
    count += 1;
    if (counter) counter.textContent = String(count);
  };
}

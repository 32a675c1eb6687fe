// The counter page: {"action":"increment"} and {"action":"get-current"}, answered by
// {"type":"counter-update","value":N} broadcast to every open page (lambda-bridge/apps/README.md).
import { LiveSocket, apiUrl, frameLog, statusIndicator } from '/live-socket.js';

const $ = (id) => document.getElementById(id);
const valueOutput = $('value');
const incrementButton = $('increment');
const logFrame = frameLog($('frames'), $('frame-count'));
const url = apiUrl('counter');
$('url').textContent = url;

const showState = statusIndicator($('status'), $('retry'));

function send(live, message) {
  const text = JSON.stringify(message);
  if (live.send(text)) logFrame('out', text);
}

function showValue(value) {
  valueOutput.textContent = String(value);
  valueOutput.classList.remove('bump');
  // Reading offsetWidth restarts the animation when two updates come in quick succession.
  void valueOutput.offsetWidth;
  valueOutput.classList.add('bump');
}

const live = new LiveSocket(url, {
  // A page cannot be told the value while it connects, so it asks once open, and again after
  // every reconnection to catch up on increments made while it was away.
  onOpen: (socket) => send(socket, { action: 'get-current' }),
  onMessage: (data) => {
    logFrame('in', data);
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message && message.type === 'counter-update' && Number.isFinite(message.value)) {
      showValue(message.value);
    }
  },
  onState: (state, socket) => {
    showState(state, socket);
    incrementButton.disabled = state.name !== 'connected';
    // Until the page has caught up again, the value shown may be behind.
    valueOutput.classList.toggle('stale', state.name !== 'connected');
  },
});

incrementButton.addEventListener('click', () => send(live, { action: 'increment' }));
live.start();

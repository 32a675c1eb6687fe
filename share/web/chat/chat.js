// The chat page, speaking the chat app's protocol (lambda-bridge/apps/README.md): connect with
// ?room=&name=, ask {"action":"getMembers"} once open, send sendPublic / sendPrivate / setName, and
// show what comes back: members, publicMessage, privateMessage, systemMessage, error.
import { LiveSocket, apiUrl, statusIndicator } from '/live-socket.js';

const MAX_NAME_BYTES = 64; // the app refuses longer names and rooms
const DEFAULT_ROOM = 'lobby';

const $ = (id) => document.getElementById(id);
const joinSection = $('join-view');
const joinForm = $('join-form');
const joinError = $('join-error');
const nameInput = $('name');
const roomInput = $('room');
const roomSection = $('room-view');
const memberList = $('members');
const messageList = $('messages');
const composer = $('composer');
const toSelect = $('to');
const messageInput = $('message');
const sendButton = $('send');
const renameDialog = $('rename-dialog');
const renameForm = $('rename-form');
const renameError = $('rename-error');
const newNameInput = $('new-name');

const showState = statusIndicator($('status'), $('retry'));

let live = null;
let myName = '';
let room = DEFAULT_ROOM;
let members = [];
let wasConnected = false;

function byteLength(text) {
  return new TextEncoder().encode(text).length;
}

function checkName(name, what) {
  if (!name) return `Choose a ${what}.`;
  if (byteLength(name) > MAX_NAME_BYTES) return `A ${what} has ${MAX_NAME_BYTES} bytes at most.`;
  return '';
}

// A stable colour per name, so a member is recognisable in the list and in the conversation.
function colourFor(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return `hsl(${hash % 360} 55% 45%)`;
}

function avatar(name) {
  const element = document.createElement('span');
  element.className = 'avatar';
  element.style.background = colourFor(name);
  element.textContent = [...name][0] || '?';
  element.setAttribute('aria-hidden', 'true');
  return element;
}

function timeNow() {
  return new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function scrollIfFollowing(append) {
  const following =
    messageList.scrollHeight - messageList.scrollTop - messageList.clientHeight < 80;
  messageList.querySelector('.empty')?.remove();
  append();
  if (following) messageList.scrollTop = messageList.scrollHeight;
}

// A system, error or local notice: one centred line.
function addNotice(text, kind = 'system') {
  const item = document.createElement('li');
  item.className = `notice ${kind}`;
  item.textContent = kind === 'error' ? `⚠ ${text}` : text;
  scrollIfFollowing(() => messageList.append(item));
}

// The app sends "alice: hello"; a name may itself hold ": ", so known names are tried first.
function splitAuthor(text) {
  const known = [...new Set([...members, myName])].sort((a, b) => b.length - a.length);
  for (const name of known) {
    if (name && text.startsWith(`${name}: `)) return [name, text.slice(name.length + 2)];
  }
  const colon = text.indexOf(': ');
  return colon > 0 ? [text.slice(0, colon), text.slice(colon + 2)] : ['', text];
}

function addMessage({ author, text, mine, privateTo }) {
  const item = document.createElement('li');
  item.className = 'msg';
  if (mine) item.classList.add('mine');
  if (privateTo !== undefined) item.classList.add('private');
  item.append(avatar(author || '?'));
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  const meta = document.createElement('div');
  meta.className = 'meta';
  const who = document.createElement('span');
  who.className = 'author';
  who.textContent = mine ? 'you' : author;
  meta.append(who);
  if (privateTo !== undefined) {
    const tag = document.createElement('span');
    tag.className = 'tag';
    tag.textContent = 'private';
    const to = document.createElement('span');
    to.textContent = `to ${privateTo}`;
    meta.append(to, tag);
  }
  const time = document.createElement('time');
  time.textContent = timeNow();
  meta.append(time);
  const body = document.createElement('p');
  body.className = 'text';
  body.textContent = text;
  bubble.append(meta, body);
  item.append(bubble);
  scrollIfFollowing(() => messageList.append(item));
}

function renderMembers() {
  $('member-count').textContent = String(members.length);
  memberList.replaceChildren();
  let youShown = false;
  for (const name of members) {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    const label = document.createElement('span');
    label.textContent = name;
    button.append(avatar(name), label);
    // Names are not unique; the first entry with my name is taken to be me.
    if (name === myName && !youShown) {
      youShown = true;
      button.disabled = true;
      const you = document.createElement('span');
      you.className = 'you-tag';
      you.textContent = 'you';
      button.append(you);
    } else {
      button.title = `Send a private message to ${name}`;
      button.dataset.name = name;
      button.addEventListener('click', () => chooseRecipient(name));
    }
    item.append(button);
    memberList.append(item);
  }
  renderRecipients();
}

// "Everyone" plus each other member. A chosen recipient who has left stays chosen (marked as
// gone) rather than silently turning a private message into a public one.
function renderRecipients() {
  const chosen = toSelect.value;
  const names = [...new Set(members)].filter((name) => name !== myName);
  if (chosen && !names.includes(chosen)) names.push(chosen);
  toSelect.replaceChildren(new Option('Everyone', ''));
  for (const name of names) {
    const present = members.includes(name);
    toSelect.append(new Option(present ? name : `${name} (not here)`, name));
  }
  toSelect.value = chosen;
  updateComposer();
}

function chooseRecipient(name) {
  toSelect.value = toSelect.value === name ? '' : name;
  renderRecipients();
  messageInput.focus();
}

function updateComposer() {
  const to = toSelect.value;
  composer.classList.toggle('private', Boolean(to));
  messageInput.placeholder = to ? `Private message to ${to}` : `Message everyone in #${room}`;
  for (const button of memberList.querySelectorAll('button[data-name]')) {
    button.setAttribute('aria-pressed', String(button.dataset.name === to));
  }
}

function onFrame(data) {
  let message;
  try {
    message = JSON.parse(data);
  } catch {
    addNotice(`Unexpected frame: ${data}`, 'error');
    return;
  }
  if (message === null || typeof message !== 'object') {
    addNotice(`Unexpected frame: ${data}`, 'error');
  } else if (Array.isArray(message.members)) {
    members = message.members.map(String);
    renderMembers();
  } else if (typeof message.publicMessage === 'string') {
    const [author, text] = splitAuthor(message.publicMessage);
    addMessage({ author, text, mine: author === myName });
  } else if (typeof message.privateMessage === 'string') {
    const [author, text] = splitAuthor(message.privateMessage);
    addMessage({ author, text, privateTo: 'you' });
  } else if (typeof message.systemMessage === 'string') {
    addNotice(message.systemMessage);
  } else if (typeof message.error === 'string') {
    addNotice(message.error, 'error');
  } else if (typeof message.message === 'string') {
    // API Gateway's own frames: {"message":"Forbidden"...}, {"message":"Internal server error"...}
    addNotice(message.message, 'error');
  } else {
    addNotice(`Unexpected frame: ${data}`, 'error');
  }
}

function onState(state, socket) {
  showState(state, socket);
  const connected = state.name === 'connected';
  sendButton.disabled = !connected;
  if (state.name === 'reconnecting' && wasConnected) {
    addNotice('Connection lost; reconnecting…', 'local');
    wasConnected = false;
  }
}

function join(name, chosenRoom) {
  myName = name;
  room = chosenRoom;
  members = [];
  wasConnected = false;
  let everConnected = false;
  $('room-title').textContent = `# ${room}`;
  $('my-name').textContent = myName;
  messageList.replaceChildren();
  const empty = document.createElement('li');
  empty.className = 'empty';
  empty.textContent = 'No messages yet. Say hello!';
  messageList.append(empty);
  renderMembers();
  joinSection.hidden = true;
  roomSection.hidden = false;
  history.replaceState(null, '', `?${new URLSearchParams({ room, name })}`);
  try {
    localStorage.setItem('wsgw-demo-chat', JSON.stringify({ name, room }));
  } catch {
    // Private browsing may refuse storage; remembering the name is only a convenience.
  }

  // The app keeps names per connection, so every reconnection introduces itself again with
  // ?name= (the current name, which setName may have changed) and asks for the member list.
  live = new LiveSocket(() => apiUrl('chat', { room, name: myName }), {
    onOpen: (socket) => {
      if (everConnected) addNotice('Reconnected', 'local');
      everConnected = true;
      wasConnected = true;
      socket.send({ action: 'getMembers' });
    },
    onMessage: onFrame,
    onState,
  });
  live.start();
  messageInput.focus();
}

function leave() {
  live?.stop();
  live = null;
  roomSection.hidden = true;
  joinSection.hidden = false;
  history.replaceState(null, '', `?${new URLSearchParams({ room })}`);
  nameInput.value = myName;
  roomInput.value = room;
  nameInput.focus();
}

joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  const chosenRoom = roomInput.value.trim() || DEFAULT_ROOM;
  const problem = checkName(name, 'name') || checkName(chosenRoom, 'room name');
  joinError.textContent = problem;
  joinError.hidden = !problem;
  if (!problem) join(name, chosenRoom);
});

composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = messageInput.value;
  if (!text.trim() || !live) return;
  const to = toSelect.value;
  const sent = to
    ? live.send({ action: 'sendPrivate', to, message: text })
    : live.send({ action: 'sendPublic', message: text });
  if (!sent) return;
  // The app does not echo a private message to its sender, so the page shows it itself.
  if (to) addMessage({ author: myName, text, mine: true, privateTo: to });
  messageInput.value = '';
  messageInput.focus();
});

toSelect.addEventListener('change', updateComposer);
$('leave').addEventListener('click', leave);

$('rename').addEventListener('click', () => {
  newNameInput.value = myName;
  renameError.hidden = true;
  renameDialog.showModal();
  newNameInput.select();
});
$('rename-cancel').addEventListener('click', () => renameDialog.close());
renameForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = newNameInput.value.trim();
  const problem = checkName(name, 'name');
  renameError.textContent = problem;
  renameError.hidden = !problem;
  if (problem) return;
  if (name !== myName) {
    if (!live?.send({ action: 'setName', name })) {
      renameError.textContent = 'Not connected; try again once the page has reconnected.';
      renameError.hidden = false;
      return;
    }
    myName = name;
    $('my-name').textContent = myName;
    history.replaceState(null, '', `?${new URLSearchParams({ room, name })}`);
  }
  renameDialog.close();
});

// ?room=&name= in the page's address joins straight away (a reload stays in the room); otherwise
// the form is filled with the last name and room used here.
const params = new URLSearchParams(location.search);
let remembered = {};
try {
  remembered = JSON.parse(localStorage.getItem('wsgw-demo-chat') || '{}') || {};
} catch {
  remembered = {};
}
nameInput.value = params.get('name') ?? remembered.name ?? '';
roomInput.value = params.get('room') ?? remembered.room ?? '';
const linkedName = (params.get('name') || '').trim();
const linkedRoom = (params.get('room') || '').trim() || DEFAULT_ROOM;
if (linkedName && !checkName(linkedName, 'name') && !checkName(linkedRoom, 'room name')) {
  join(linkedName, linkedRoom);
}

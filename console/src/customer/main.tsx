import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { BrandMark } from '../app/brand.js';
import { announce, Announcer } from '../app/live-regions.js';
import { applyStoredTheme, ThemeToggle } from '../app/theme.js';
import { chooseCustomer, customer, outgoing, pollError, receivesReplies, replyCount, send, startPolling, thread, type Outgoing } from './chat.js';
import '../app/console.css';
import './customer.css';

/**
 * `/customer` (local stack only): write as a customer on the generic channel and see the agents'
 * replies, which the local stack delivers to this page's inbox when no outboundUrl is configured.
 */
const timeOf = (at: string) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const suggestedNumber = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

function ChooseCustomer() {
  const [id, setId] = useState(suggestedNumber);
  const [name, setName] = useState('');
  const submit = (event: Event) => {
    event.preventDefault();
    if (id.trim()) chooseCustomer({ id: id.trim(), ...(name.trim() ? { name: name.trim() } : {}) });
  };
  return (
    <div class="sign-in-page">
      <div class="sign-in-theme">
        <ThemeToggle />
      </div>
      <main class="sign-in" aria-labelledby="customer-title">
        <BrandMark size={40} />
        <h1 id="customer-title">Chat with us</h1>
        <p class="muted">Write as a customer on the generic channel. Agents signed in to the console answer here.</p>
        <form class="stack" onSubmit={submit}>
          <label for="customer-id">Your number or customer id</label>
          <input id="customer-id" name="id" required maxLength={256} autoComplete="off" value={id} onInput={(e) => setId(e.currentTarget.value)} />
          <label for="customer-name">Your name (optional)</label>
          <input id="customer-name" name="name" maxLength={256} autoComplete="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit" class="primary" disabled={!id.trim()}>
            Start chatting
          </button>
        </form>
      </main>
    </div>
  );
}

function Pending({ message }: { message: Outgoing }) {
  return (
    <li class="message message-out">
      <div class="bubble">
        <span class="visually-hidden">You: </span>
        <span class="text">{message.text}</span>
      </div>
      <p class="message-meta small muted">
        {message.state === 'sending' ? (
          'Sending…'
        ) : (
          <>
            <span class="delivery-failed">Not sent: {message.error}</span>{' '}
            <button type="button" class="quiet" onClick={() => void send(message.text, message)}>
              Retry
            </button>
          </>
        )}
      </p>
    </li>
  );
}

function Chat() {
  const who = customer.value!;
  const [draft, setDraft] = useState('');
  const transcript = useRef<HTMLDivElement>(null);
  const seenReplies = useRef(replyCount.value);
  useEffect(() => startPolling(), [who.id]);

  const messages = thread.value;
  const pending = outgoing.value;
  useEffect(() => {
    const replies = messages.filter((m) => m.direction === 'out');
    if (replies.length > seenReplies.current) announce(`New reply: ${replies[replies.length - 1]!.text}`);
    seenReplies.current = replies.length;
    transcript.current?.scrollTo({ top: transcript.current.scrollHeight });
  }, [messages.length, pending.length]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const text = draft;
    if (!text.trim()) return;
    setDraft('');
    if (!(await send(text))) announce('Your message was not sent.');
  };
  const onKeyDown = (event: KeyboardEvent) => {
    // Enter sends, Shift+Enter starts a new line (as in every chat).
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      (event.currentTarget as HTMLTextAreaElement).form?.requestSubmit();
    }
  };

  return (
    <div class="customer-page">
      <header class="customer-header">
        <BrandMark />
        <div class="customer-who">
          <h1>Chat with us</h1>
          <p class="small muted">
            Writing as {who.name ? `${who.name} (${who.id})` : who.id}{' '}
            <button type="button" class="quiet" onClick={() => chooseCustomer(undefined)}>
              Change
            </button>
          </p>
        </div>
        <ThemeToggle compact />
      </header>
      <main class="customer-main">
        {!receivesReplies.value && (
          <p class="notice notice-info">Replies go to the generic channel's configured outboundUrl, so they do not appear on this page.</p>
        )}
        {pollError.value && (
          <p class="notice notice-error" role="status">
            {pollError.value}
          </p>
        )}
        <div class="transcript customer-transcript" ref={transcript} tabIndex={0} aria-labelledby="conversation-title">
          <h2 id="conversation-title" class="visually-hidden">
            Conversation
          </h2>
          {messages.length === 0 && pending.length === 0 ? (
            <p class="muted">No messages yet. Write the first one below.</p>
          ) : (
            <ol class="messages" aria-label="Conversation">
              {messages.map((m) => (
                <li key={m.id} class={m.direction === 'in' ? 'message message-out' : 'message'}>
                  <div class="bubble">
                    <span class="visually-hidden">{m.direction === 'in' ? 'You: ' : 'Agent: '}</span>
                    <span class="text">{m.text}</span>
                  </div>
                  <p class="message-meta small muted">
                    {m.direction === 'in' ? 'You' : 'Agent'} · <time dateTime={m.at}>{timeOf(m.at)}</time>
                  </p>
                </li>
              ))}
              {pending.map((m) => (
                <Pending key={m.id} message={m} />
              ))}
            </ol>
          )}
        </div>
        <form class="composer" onSubmit={submit}>
          <label class="composer-label" for="customer-message">
            Message
          </label>
          <textarea id="customer-message" maxLength={4096} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} onKeyDown={onKeyDown} />
          <div class="composer-foot">
            <span class="small muted">Enter sends · Shift+Enter for a new line</span>
            <button type="submit" class="primary" disabled={!draft.trim()}>
              Send
            </button>
          </div>
        </form>
      </main>
      <Announcer />
    </div>
  );
}

function App() {
  return customer.value ? <Chat key={customer.value.id} /> : <ChooseCustomer />;
}

applyStoredTheme();
const root = document.getElementById('app')!;
// The static "Loading…" goes (Preact would keep it).
root.replaceChildren();
render(<App />, root);

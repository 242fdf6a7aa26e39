import { useEffect, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { $api, api, apiError, type ApiError } from "../../lib/api/client";
import { useMe } from "../../lib/useSession";
import { ErrorNotice } from "../../components/Notice";
import { usePageTitle } from "../../components/usePageTitle";

export function MessagesPage() {
  usePageTitle("Messages");
  const { conversationId } = useParams();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const to = params.get("to");
  const [error, setError] = useState<ApiError | null>(null);

  // /messages?to=<handle> (the Message button on a profile) opens or creates the conversation.
  useEffect(() => {
    if (!to) return;
    void api.POST("/v1/conversations", { body: { handle: to } }).then((res) => {
      if (res.data) navigate(`/messages/${res.data.id}`, { replace: true });
      else setError(apiError(res.error));
    });
  }, [to, navigate]);

  return (
    <section className={`messages${conversationId ? " messages--open" : ""}`}>
      <h1>Messages</h1>
      <ErrorNotice error={error} />
      <div className="messages__panes">
        <Conversations active={conversationId} />
        {conversationId ? <Thread id={conversationId} /> : <p className="muted messages__hint">Pick a conversation, or start one from an artist's profile.</p>}
      </div>
    </section>
  );
}

function Conversations({ active }: { active?: string }) {
  const q = $api.useQuery("get", "/v1/conversations", { params: { query: { limit: 50 } } }, { refetchInterval: 20_000 });
  const [folder, setFolder] = useState<"inbox" | "requests">("inbox");
  const items = (q.data?.items ?? []).filter((c) => c.request === (folder === "requests"));
  return (
    <nav aria-label="Conversations" className="conversations">
      <div role="tablist" className="tabs">
        <button type="button" role="tab" aria-selected={folder === "inbox"} onClick={() => setFolder("inbox")}>Inbox</button>
        <button type="button" role="tab" aria-selected={folder === "requests"} onClick={() => setFolder("requests")}>Requests</button>
      </div>
      {items.length === 0 && !q.isPending && <p className="muted">{folder === "inbox" ? "No conversations yet." : "No message requests."}</p>}
      <ul>
        {items.map((c) => (
          <li key={c.id} className={c.id === active ? "active" : ""}>
            <Link to={`/messages/${c.id}`}>
              <strong>@{c.with.handle}</strong>{c.unread && <span className="dot" aria-label="unread" />}
              <span className="muted preview">{c.last_message?.preview ?? ""}</span>
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Thread({ id }: { id: string }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const list = $api.useQuery("get", "/v1/conversations", { params: { query: { limit: 50 } } });
  const conversation = list.data?.items.find((c) => c.id === id);
  const q = $api.useQuery("get", "/v1/conversations/{conversation_id}/messages", { params: { path: { conversation_id: id }, query: { limit: 50 } } }, { refetchInterval: 10_000 });
  const [text, setText] = useState("");
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    void api.POST("/v1/conversations/{conversation_id}/read", { params: { path: { conversation_id: id } } });
  }, [id, q.data?.items.length]);

  const refresh = () => queryClient.invalidateQueries({ predicate: (query) => String(query.queryKey[1]).startsWith("/v1/conversations") });

  async function send(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) return;
    const res = await api.POST("/v1/conversations/{conversation_id}/messages", { params: { path: { conversation_id: id } }, body: { text: text.trim() } });
    if (res.error) return setError(apiError(res.error));
    setText("");
    setError(null);
    void refresh();
  }
  async function accept() {
    const res = await api.POST("/v1/conversations/{conversation_id}/accept", { params: { path: { conversation_id: id } } });
    if (res.error) setError(apiError(res.error));
    void refresh();
  }
  async function block() {
    if (!conversation || !window.confirm(`Block @${conversation.with.handle}? They will not be able to message or follow you.`)) return;
    const res = await api.POST("/v1/users/{handle}/block", { params: { path: { handle: conversation.with.handle } } });
    setError(res.error ? apiError(res.error) : { code: "blocked", message: `@${conversation.with.handle} is blocked.` });
  }

  const messages = [...(q.data?.items ?? [])].sort((a, b) => a.created_at.localeCompare(b.created_at));
  return (
    <section className="thread" aria-label={conversation ? `Conversation with @${conversation.with.handle}` : "Conversation"}>
      {conversation && (
        <header className="thread__head">
          <Link to="/messages" className="thread__back" aria-label="All conversations">←</Link>
          <Link to={`/@${conversation.with.handle}`}>@{conversation.with.handle}</Link>
          <span>
            {conversation.request && <button type="button" onClick={accept}>Accept</button>}
            <button type="button" className="secondary" onClick={block}>Block</button>
          </span>
        </header>
      )}
      <ol className="thread__messages">
        {messages.map((m) => (
          <li key={m.id} className={m.sender_id === me.data?.id ? "mine" : ""}>{m.text}</li>
        ))}
      </ol>
      <form onSubmit={send} className="thread__form">
        <label className="visually-hidden" htmlFor="message-text">Message</label>
        <textarea id="message-text" value={text} onChange={(e) => setText(e.target.value)} rows={2} maxLength={2000} placeholder="Write a message" />
        <button type="submit">Send</button>
      </form>
      <ErrorNotice error={error} />
    </section>
  );
}

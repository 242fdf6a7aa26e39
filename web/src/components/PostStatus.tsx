import type { Post } from "../lib/api/client";

const LABELS: Record<string, string> = {
  awaiting_upload: "Processing",
  processing: "Processing",
  queued: "Processing",
  published: "Published",
  held_for_review: "Held for review",
  rejected: "Rejected",
  removed: "Removed",
  deleted: "Deleted",
};

/** Screening reasons in plain words. */
const REASONS: Record<string, string> = {
  ai_generated: "The file says it was made with an AI image generator.",
  ai_detected: "Our detector found this image very likely AI-generated.",
  ai_uncertain: "Our detector was not sure, so a person will look at it.",
  ai_suspected_protected_art: "It looks AI-generated, but you marked it as Glazed/Nightshaded, so a person will look at it.",
  known_ai_image: "It matches an image already known to be AI-generated.",
  possible_repost: "It closely matches work already on Easel, so a person will check who made it.",
  mature: "It looks like mature work without the Mature label.",
  vendor_unavailable: "The screening service was busy; we will try again shortly.",
};

export function statusLabel(status: string): string {
  return LABELS[status] ?? status;
}

export function reasonText(reason: string): string {
  return REASONS[reason] ?? reason.replaceAll("_", " ");
}

export function PostStatus({ post }: { post: Pick<Post, "status" | "screening"> }) {
  const reasons = ((post.screening as { reasons?: string[] } | undefined)?.reasons ?? []).filter(Boolean);
  const label = statusLabel(post.status);
  // The latest moderator decision that published the post (approve / label mature), with its note.
  const decisions = (post.screening as { moderation?: { decision?: string; note?: string | null }[] } | undefined)?.moderation ?? [];
  const approval = [...decisions].reverse().find((m) => m.decision === "approve" || m.decision === "label_mature");
  const explain: Record<string, string> = {
    Processing: "Screening your work: checking the files, their metadata and whether they are human-made.",
    Published: "Live on your profile and in your followers' feeds.",
    "Held for review": "A person will look at it before it is shown. Nothing is lost meanwhile.",
    Rejected: "It was not published. If we got it wrong, you can appeal.",
  };
  return (
    <div className={`status status--${post.status}`}>
      <p><strong className="status__label">{label}</strong>{explain[label] ? ` — ${explain[label]}` : ""}</p>
      {approval && (
        <p className="status__approval">A moderator reviewed it: {approval.decision === "label_mature" ? "published with the Mature label" : "approved"}
          {approval.note ? <>. Note: “{approval.note}”</> : null}</p>
      )}
      {reasons.length > 0 && post.status !== "published" && (
        <ul className="status__reasons">{reasons.map((r) => <li key={r}>{reasonText(r)}</li>)}</ul>
      )}
    </div>
  );
}

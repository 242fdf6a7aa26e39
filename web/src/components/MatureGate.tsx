import { useState, type ReactNode } from "react";

/** Mature work stays hidden (nothing of the image is downloaded) until the viewer asks. */
export function MatureGate({ hidden, ratio, children }: { hidden: boolean; ratio: string; children: ReactNode }) {
  const [revealed, setRevealed] = useState(false);
  if (!hidden || revealed) return <>{children}</>;
  return (
    <div className="mature-gate" style={{ aspectRatio: ratio }} data-testid="mature-placeholder">
      <p>Mature work. The artist or our screening marked this as not for everyone.</p>
      <button type="button" onClick={() => setRevealed(true)}>Show mature work</button>
    </div>
  );
}

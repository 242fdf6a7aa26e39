"""The web app's response headers, defined once: CloudFront's response headers policy
(infra/app.py) and the local platform's static serving (local/webstatic.py) both use them.

The Content-Security-Policy is strict: scripts, styles, fonts and frames only from the app's own
origin (Vite emits no inline script), images from the origin (media is same-origin under
/media) plus blob: for upload previews and the uploads bucket (moderators' presigned originals),
and connections to the origin (the API under /v1) and to the uploads bucket (presigned POSTs go
straight to S3)."""
from __future__ import annotations

# Hashed build output (`/assets/<name>-<hash>.js`) never changes under a name: cache for a year.
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
# index.html (and the manifest, icons) must reach people soon after a deploy.
HTML_CACHE_CONTROL = "public, max-age=0, s-maxage=60, must-revalidate"

X_ROBOTS_TAG = "noai, noimageai"


def content_security_policy(upload_origins: list[str], img_origins: list[str] | None = None) -> str:
    """`upload_origins`: where presigned POSTs go; `img_origins`: a media CDN on its own domain
    (production; locally media is same-origin under /media)."""
    connect = " ".join(["'self'", *upload_origins])
    # + the uploads bucket: moderators see originals through short-lived presigned GETs
    img = " ".join(["'self'", "blob:", "data:", *(img_origins or []), *upload_origins])
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {img}",
        "font-src 'self'",
        f"connect-src {connect}",
        "manifest-src 'self'",
        "worker-src 'self'",
        "frame-ancestors 'none'",
        "frame-src 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ])


def upload_origins_for_bucket(bucket: str, region: str) -> list[str]:
    """Where boto3's presigned POST for the uploads bucket points, in either addressing form."""
    return [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]

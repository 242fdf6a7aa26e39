import type { Schemas } from "../lib/api/client";
import { pickVariant, srcSet } from "../lib/images";

type Image = Schemas["Image"];

/** One post image from its listed derivatives (never the original): srcset + sizes matching
 *  the layout, intrinsic width/height so nothing shifts, lazy below the fold. */
export function PostImage({ image, alt, sizes, eager = false, className }: {
  image: Image;
  alt: string;
  sizes: string;
  eager?: boolean;
  className?: string;
}) {
  const fallback = pickVariant(image.variants, 640);
  if (!fallback) {
    return <div className={`image-pending ${className ?? ""}`} style={{ aspectRatio: `${image.width || 4} / ${image.height || 3}` }}>Image is being prepared</div>;
  }
  return (
    <img
      className={className}
      src={fallback.url}
      srcSet={srcSet(image.variants)}
      sizes={sizes}
      width={image.width || fallback.width}
      height={image.height || fallback.height}
      alt={alt}
      loading={eager ? "eager" : "lazy"}
      decoding="async"
    />
  );
}

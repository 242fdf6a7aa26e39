import { NotFoundContent } from "../components/NotFoundContent";
import { usePageTitle } from "../components/usePageTitle";

export function NotFoundPage() {
  usePageTitle("Page not found");
  return <NotFoundContent />;
}

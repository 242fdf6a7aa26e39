// Routes compose features; nothing else lives here. To add an area (e.g. /admin,
// /moderation), add its feature's page to `publicRoutes` or `signedInRoutes`.
import { lazy, Suspense } from "react";
import { createBrowserRouter, useParams, type RouteObject } from "react-router";
import { Layout } from "./Layout";
import { RequireAuth } from "./RequireAuth";
import { NotFoundPage } from "./NotFound";
import { LoginPage, ResetPasswordPage, SignupPage, VerifyEmailPage } from "../features/auth/AuthPages";
import { DiscoverPage, HomePage, TagPage } from "../features/feed/FeedPages";
import { NewPostPage } from "../features/upload/NewPostPage";
import { PostPage } from "../features/post/PostPage";
import { ProfilePage } from "../features/profile/ProfilePage";
import { EditProfilePage } from "../features/profile/EditProfilePage";
import { NotificationsPage } from "../features/notifications/NotificationsPage";
import { MessagesPage } from "../features/messages/MessagesPage";
import { JobsPage } from "../features/jobs/JobsPage";
import { SettingsPage } from "../features/settings/SettingsPage";
import { ImportPage } from "../features/import/ImportPage";

// Founders' and moderators' consoles: their own chunks (with uPlot), fetched on first visit only.
const AdminPage = lazy(() => import("../features/admin/AdminPage").then((m) => ({ default: m.AdminPage })));
const ModerationPage = lazy(() => import("../features/moderation/ModerationPage").then((m) => ({ default: m.ModerationPage })));
const loading = <p role="status">Loading…</p>;

/** `/@handle` — one path segment that starts with "@"; anything else is not found. */
function AtHandle() {
  const { segment = "" } = useParams();
  return segment.startsWith("@") && segment.length > 1 ? <ProfilePage handle={segment.slice(1)} /> : <NotFoundPage />;
}

export const publicRoutes: RouteObject[] = [
  { index: true, element: <HomePage /> },
  { path: "discover", element: <DiscoverPage /> },
  { path: "tags/:tag", element: <TagPage /> },
  { path: "signup", element: <SignupPage /> },
  { path: "login", element: <LoginPage /> },
  { path: "verify", element: <VerifyEmailPage /> },
  { path: "reset-password", element: <ResetPasswordPage /> },
  { path: "p/:postId", element: <PostPage /> },
  { path: "jobs/*", element: <JobsPage /> },
  { path: ":segment", element: <AtHandle /> },
];

export const signedInRoutes: RouteObject[] = [
  { path: "new", element: <NewPostPage /> },
  { path: "notifications", element: <NotificationsPage /> },
  { path: "messages/:conversationId?", element: <MessagesPage /> },
  { path: "settings", element: <SettingsPage /> },
  { path: "settings/profile", element: <EditProfilePage /> },
  { path: "import", element: <ImportPage /> },
  { path: "admin", element: <Suspense fallback={loading}><AdminPage /></Suspense> },
  { path: "moderation", element: <Suspense fallback={loading}><ModerationPage /></Suspense> },
];

export const routes: RouteObject[] = [{
  element: <Layout />,
  children: [
    ...publicRoutes,
    { element: <RequireAuth />, children: signedInRoutes },
    { path: "*", element: <NotFoundPage /> },
  ],
}];

export const router = createBrowserRouter(routes);

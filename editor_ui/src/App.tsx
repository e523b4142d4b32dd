import { EditorPage } from "./editor/EditorPage";
import { WorkflowsPage } from "./pages/WorkflowsPage";
import { StoresPage } from "./pages/StoresPage";
import { SecretsPage } from "./pages/SecretsPage";
import { RunsPage } from "./pages/RunsPage";
import { RunDetailPage } from "./pages/RunDetailPage";
import { ConfirmHost } from "./ui/confirmDialog";
import { LabelingPage } from "./labeling/LabelingPage";
import { hrefFor, useRoute, type Route } from "./router";
import { SignInScreen, useAuthState } from "./ui/SignInScreen";
import { ThemeToggle } from "./ui/ThemeToggle";

const NAV: { label: string; route: Route }[] = [
  { label: "Workflows", route: { page: "workflows" } },
  { label: "Runs", route: { page: "runs" } },
  { label: "Stores", route: { page: "stores" } },
  { label: "Secrets", route: { page: "secrets" } },
  { label: "Labeling", route: { page: "labeling" } },
];

export function App() {
  const route = useRoute();
  const auth = useAuthState();
  if (auth.unauthorized) return <SignInScreen state={auth} />;
  return (
    <div className="app">
      <header className="app-header">
        <a className="brand" href="#/">wirework</a>
        <nav>
          {NAV.map((item) => (
            <a key={item.label} href={hrefFor(item.route)}
               className={item.route.page === route.page || (route.page === "editor" && item.route.page === "workflows")
                         || (route.page === "run" && item.route.page === "runs") ? "active" : ""}>
              {item.label}
            </a>
          ))}
        </nav>
        <span className="spacer" />
        <ThemeToggle />
      </header>
      <main className="app-main">
        {route.page === "workflows" && <WorkflowsPage />}
        {route.page === "editor" && <EditorPage key={route.workflowId} workflowId={route.workflowId} runId={route.runId} />}
        {route.page === "stores" && <StoresPage storeName={route.storeName} />}
        {route.page === "secrets" && <SecretsPage />}
        {route.page === "runs" && <RunsPage workflowId={route.workflowId} />}
        {route.page === "run" && <RunDetailPage key={route.runId} runId={route.runId} />}
        {route.page === "labeling" && <LabelingPage project={route.project} tab={route.tab ?? "overview"} />}
      </main>
      <ConfirmHost />
    </div>
  );
}

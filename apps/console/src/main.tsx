// Starts the console in the page metald (or Vite, in development) serves.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/app";
import { createMetaldTransport } from "./shared/api/metald-transport";
import { readSession } from "./shared/api/session";
import "./shared/ui/ui.css";

const transport = createMetaldTransport({ token: () => readSession()?.token });

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <App transport={transport} />
  </StrictMode>,
);

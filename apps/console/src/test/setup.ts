// Component tests run in jsdom; each test starts from an empty document.
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

// The router restores the scroll position on navigation; jsdom has no layout to scroll.
window.scrollTo = () => {};

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});

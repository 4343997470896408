// Vite for the console: `pnpm dev` serves it with hot reload and forwards API calls to a running
// metald (METALD_URL, default http://127.0.0.1:8080); `pnpm build` writes dist/, which metald
// serves at /.
import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv } from "vite";

/** Paths metald answers: Connect services, REST, health. */
const API = ["^/vmprovisioner\\.v1\\.", "^/api/", "^/health$"];

export default defineConfig(({ mode }) => {
  const target = loadEnv(mode, process.cwd(), "METALD_").METALD_URL ?? "http://127.0.0.1:8080";
  return {
    plugins: [react()],
    server: {
      proxy: Object.fromEntries(API.map((path) => [path, { target, changeOrigin: false }])),
    },
    build: {
      target: "es2022",
      // Hashed names under assets/: metald caches them for a year.
      assetsDir: "assets",
      sourcemap: false,
      // dist/.vite/manifest.json: which chunks each page loads (scripts/bundle-size.ts).
      manifest: true,
      rollupOptions: {
        output: {
          // Libraries change less often than the console: their chunks stay cached across
          // console releases.
          manualChunks(id) {
            if (!id.includes("/node_modules/")) return undefined;
            if (/\/node_modules\/(react|react-dom|scheduler)\//.test(id)) return "react";
            if (id.includes("/node_modules/@tanstack/")) return "tanstack";
            if (/\/node_modules\/@(bufbuild|connectrpc)\//.test(id)) return "connect";
            // The graph library and its d3 parts: the topology page's only.
            if (/\/node_modules\/(@xyflow|d3-[a-z]+|classcat|zustand)\//.test(id)) return "xyflow";
            return undefined;
          },
        },
      },
    },
  };
});

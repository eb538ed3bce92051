// Builds the console as one UMD file that Airflow's UI imports (react_apps' bundle_url).
// React, React Router and Chakra UI are Airflow's own instances, which its UI exposes on
// globalThis: sharing them puts the console inside Airflow's Chakra provider (theme tokens,
// light/dark mode) and router, and keeps the bundle small.
import { resolve } from "node:path";
import { defineConfig } from "vite";

const HOST_GLOBALS: Record<string, string> = {
  react: "React",
  "react-dom": "ReactDOM",
  "react/jsx-runtime": "ReactJSXRuntime",
  "react-router-dom": "ReactRouterDOM",
  "@chakra-ui/react": "ChakraUI",
};

export default defineConfig({
  esbuild: { jsx: "automatic", legalComments: "none" },
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  build: {
    outDir: resolve(__dirname, "../../plugins/monitoring/static"),
    emptyOutDir: false,
    sourcemap: false,
    lib: {
      entry: resolve(__dirname, "src/main.tsx"),
      // the name Airflow's loader reads when the plugin's own name is not set on globalThis
      name: "AirflowPlugin",
      formats: ["umd"],
      fileName: () => "console.js",
    },
    rollupOptions: {
      external: Object.keys(HOST_GLOBALS),
      output: { globals: HOST_GLOBALS, exports: "default" },
    },
  },
});

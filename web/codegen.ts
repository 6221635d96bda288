import type { CodegenConfig } from "@graphql-codegen/cli";

/**
 * The web UI's API types, generated from the checked-in schema.graphql (offline) and the
 * `graphql(...)` documents in web/src. `npm run build` runs it; the output is not checked in.
 */
const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["web/src/**/*.{ts,tsx}", "!web/src/api/generated/**"],
  ignoreNoDocuments: false,
  errorsOnly: true,
  generates: {
    "web/src/api/generated/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        // Our client sends strings over fetch and graphql-ws: no graphql-js in the bundle.
        documentMode: "string",
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: {
          Bytes: "number",
          SignedBytes: "number",
          DateTimeISO: "string",
          JSONObject: "Record<string, unknown>",
        },
      },
    },
  },
};

export default config;

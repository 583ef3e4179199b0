// Parses an AsyncAPI document with the official parser and prints every diagnostic.
// Usage: node validate-asyncapi.mjs <file>. Exits 1 when the parser reports an error.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const SEVERITY = ["error", "warning", "information", "hint"];
const { document, diagnostics } = await new Parser().parse(readFileSync(process.argv[2], "utf8"));
for (const d of diagnostics) {
  console.log(`${SEVERITY[d.severity]} ${d.code} at /${d.path.join("/")}: ${d.message}`);
}
const errors = diagnostics.filter((d) => d.severity === 0).length;
console.log(`asyncapi: ${errors} errors, ${diagnostics.length - errors} other diagnostics`);
process.exit(errors === 0 && document !== undefined ? 0 : 1);

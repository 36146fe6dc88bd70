/** This project's name and version, read once from package.json: what capture manifests and the CLI cite. */
import { readFileSync } from "node:fs";

export const PACKAGE = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { name: string; version: string };

/**
 * The tests' OpenSSL TSA on its own, for trying the service by hand:
 *   node test/helpers/run-openssl-tsa.ts   → prints TSA_URLS=… TSA_CA_FILES=…, runs until Ctrl-C
 */
import { startOpensslTsa } from "./openssl-tsa.ts";

const tsa = await startOpensslTsa();
process.stdout.write(`TSA_URLS=${tsa.url} TSA_CA_FILES=${tsa.caFile}\n`);
const stop = () => void tsa.stop().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

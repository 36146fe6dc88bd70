/**
 * Which EvidenceRegistry a deployed address is: VERSION() since version 2; the first registry has no
 * such function, so its call reverts without data (or, with no code at the address, returns nothing),
 * and that, never an endpoint that fails us, means version 1.
 */
import { Interface, isCallException, isError, type Provider } from "ethers";

const VERSION_ABI = new Interface(["function VERSION() view returns (string)"]);

export async function readRegistryVersion(provider: Provider, registry: string): Promise<string> {
  try {
    const answer = await provider.call({ to: registry, data: VERSION_ABI.encodeFunctionData("VERSION") });
    return String(VERSION_ABI.decodeFunctionResult("VERSION", answer)[0]);
  } catch (error) {
    if (isCallException(error) && (error.data === null || error.data === "0x")) return "1";
    if (isError(error, "BAD_DATA") && error.value === "0x") return "1";
    throw error;
  }
}

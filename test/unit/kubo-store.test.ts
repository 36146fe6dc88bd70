import { expect } from "chai";
import { CID } from "multiformats/cid";
import { KUBO_ADD_OPTIONS, KuboContentStore, type KuboClient } from "../../src/adapters/kubo/kubo-store.ts";

/** A stand-in for kubo-rpc-client at the edge: records what the store asks of Kubo. */
function recordingClient() {
  const calls: { method: string; input?: Uint8Array; options?: Record<string, unknown> }[] = [];
  const client: KuboClient = {
    async add(input, options) {
      const chunks: Uint8Array[] = [];
      if (input instanceof Uint8Array) chunks.push(input);
      else for await (const c of input) chunks.push(c);
      calls.push({ method: "add", input: Buffer.concat(chunks), options });
      return { cid: CID.parse("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4") };
    },
    async *cat(cid) {
      calls.push({ method: `cat ${cid}` });
      yield Buffer.from("hello world\n");
    },
    async version() {
      calls.push({ method: "version" });
      return { version: "0.39.0" };
    },
    dag: {
      async *export(cid) {
        calls.push({ method: `dag export ${cid}` });
        yield Buffer.from("car bytes");
      },
    },
    pin: {
      async add(cid) {
        calls.push({ method: `pin add ${cid}` });
        return cid;
      },
      async rm(cid) {
        calls.push({ method: `pin rm ${cid}` });
        // Kubo's own answer for a CID that has no pin
        if (String(cid).endsWith("4")) throw new Error(`${cid} is not pinned or pinned indirectly`);
        return [cid];
      },
    },
  };
  return { client, calls };
}

describe("KuboContentStore", () => {
  it("adds streams with Kubo's --cid-version=1 settings, then pins them by CID", async () => {
    const { client, calls } = recordingClient();
    const store = new KuboContentStore(client);
    async function* upload() {
      yield Buffer.from("hello ");
      yield Buffer.from("world\n");
    }
    expect(await store.add(upload())).to.equal("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
    expect(Buffer.from(calls[0]!.input!).toString()).to.equal("hello world\n");
    expect(calls[0]!.options).to.deep.include({ cidVersion: 1, rawLeaves: true, chunker: "size-262144", trickle: false, pin: false });
    expect(KUBO_ADD_OPTIONS).to.deep.equal({ cidVersion: 1, rawLeaves: true, chunker: "size-262144", trickle: false, pin: false });
    // pinned only once the CID is back: an add the node finishes after the service gave up stays unpinned
    expect(calls.map((c) => c.method)).to.deep.equal(["add", "pin add bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"]);
  });

  it("adds bytes with the same settings and pins them, reads content by CID, and checks the node with `version`", async () => {
    const { client, calls } = recordingClient();
    const store = new KuboContentStore(client);
    await store.addBytes(Buffer.from("{}"));
    expect(calls[0]!.options).to.deep.include({ cidVersion: 1, rawLeaves: true, pin: false });
    const chunks: Uint8Array[] = [];
    for await (const c of store.cat("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4")) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).to.equal("hello world\n");
    await store.check();
    expect(calls.map((c) => c.method)).to.deep.equal([
      "add",
      "pin add bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
      "cat bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
      "version",
    ]);
  });

  it("exports a file's DAG as a CAR with `dag export`", async () => {
    const { client, calls } = recordingClient();
    const chunks: Uint8Array[] = [];
    for await (const c of new KuboContentStore(client).car("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4")) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).to.equal("car bytes");
    expect(calls.map((c) => c.method)).to.deep.equal(["dag export bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"]);
  });

  it("unpins with `pin rm`, and takes Kubo's 'not pinned' as done", async () => {
    const { client, calls } = recordingClient();
    const store = new KuboContentStore(client);
    await store.unpin("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
    await store.unpin("bafkreibpchm2li4bqxnrj2fdputsn2ufnf54dlwm4cl2udfa2n2gzikv3m");
    expect(calls.map((c) => c.method)).to.deep.equal([
      "pin rm bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
      "pin rm bafkreibpchm2li4bqxnrj2fdputsn2ufnf54dlwm4cl2udfa2n2gzikv3m",
    ]);
  });

  it("refuses a CID that does not parse, before asking Kubo", () => {
    const { client, calls } = recordingClient();
    expect(() => new KuboContentStore(client).cat("not-a-cid")).to.throw();
    expect(calls).to.deep.equal([]);
  });
});

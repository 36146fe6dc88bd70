import { expect } from "chai";
import { WARCParser } from "warcio";
import { buildWacz, waczArtifact } from "../../src/adapters/capture/wacz.ts";
import { type HarEntry, warcFromHar } from "../../src/adapters/capture/warc-from-har.ts";

const AT = "2026-11-27T10:00:00.123Z";

function entry(url: string, status: number, headers: [string, string][], body = "", request: Partial<HarEntry["request"]> = {}): HarEntry {
  return {
    startedDateTime: AT,
    request: { method: "GET", url, httpVersion: "HTTP/1.1", headers: [{ name: "Host", value: new URL(url).host }], ...request },
    response: {
      status,
      statusText: status === 200 ? "OK" : "",
      httpVersion: "HTTP/1.1",
      headers: headers.map(([name, value]) => ({ name, value })),
      content: { text: body },
    },
  };
}

async function* chunks(bytes: Uint8Array) {
  yield bytes;
}

async function records(warc: Buffer) {
  const all = [];
  for await (const record of new WARCParser(chunks(warc), { keepHeadersCase: true })) {
    all.push({ record, payload: new TextDecoder().decode(await record.readFully(false)) });
  }
  return all;
}

const capture = { finalUrl: "https://shop.example/item", browser: { userAgent: "HeadlessChrome/156" } };

describe("the WARC records and WACZ of a visit", () => {
  it("records each answered HAR entry as a response and its request, the body as the browser decoded it", async () => {
    const answered = entry(
      "https://shop.example/api?x=1",
      200,
      [
        [":status", "200"],
        ["Content-Encoding", "gzip"],
        ["Content-Length", "31"],
        ["X-Note", "café\nsecond line"],
      ],
      "hello",
      { method: "POST", postData: { text: "q=bag" } },
    );
    const warc = await warcFromHar(
      [
        answered,
        entry("https://shop.example/failed", 0, []),
        entry("http://10.0.0.5/pixel", 403, [["x-evidence-refused", "1"]]), // the egress proxy's refusal
      ],
      { software: "test" },
      { fileName: "data.warc.gz" },
    );
    expect(warc.entries).to.deep.equal([answered]);
    const [info, response, request] = await records(warc.bytes);
    expect([info!.record.warcType, response!.record.warcType, request!.record.warcType]).to.deep.equal(["warcinfo", "response", "request"]);
    expect(info!.payload).to.equal("software: test\r\n");
    expect(response!.record.warcDate).to.equal(AT);
    expect(response!.payload).to.equal("hello");
    expect(response!.record.httpHeaders!.statusline).to.equal("HTTP/1.1 200 OK");
    expect([...response!.record.httpHeaders!.headers]).to.deep.equal([
      ["x-orig-Content-Encoding", "gzip"], // the body recorded is decoded: the header no longer applies to it
      ["Content-Length", "5"],
      ["X-Note", "caf%C3%A9, second%20line"], // non-ASCII: the whole value URI-encoded, as Webrecorder does
    ]);
    expect(request!.record.warcHeader("WARC-Concurrent-To")).to.equal(response!.record.warcHeader("WARC-Record-ID"));
    expect(request!.record.httpHeaders!.statusline).to.equal("POST /api?x=1 HTTP/1.1");
    expect(request!.payload).to.equal("q=bag");
  });

  it("marks a response whose body the browser did not keep as truncated, not as an empty body", async () => {
    const lost = entry("https://shop.example/video.mp4", 200, [["Content-Length", "900"]]);
    lost.response.content = { size: 900 };
    const [, response] = await records((await warcFromHar([lost], {}, { fileName: "data.warc.gz" })).bytes);
    expect(response!.record.warcHeader("WARC-Truncated")).to.equal("unspecified");
    expect(response!.record.httpHeaders!.headers.get("Content-Length")).to.equal("900");
    expect(response!.payload).to.equal("");
  });

  it("makes no WACZ when no site answered, and says why", async () => {
    const har = Buffer.from(JSON.stringify({ log: { entries: [entry("https://shop.example/item", 0, [])] } }));
    expect(await buildWacz({ har, page: { url: "https://shop.example/item" }, software: "test", userAgent: "x" })).to.equal(null);
    expect(await waczArtifact(har, capture)).to.deep.equal({
      missing: "no site answered a request of the visit: there is nothing to archive",
    });
  });

  it("reports a WACZ it could not make instead of failing the capture", async () => {
    const missing = await waczArtifact(Buffer.from("{ not a HAR"), capture);
    expect(missing)
      .to.have.property("missing")
      .that.match(/^the WACZ could not be made: /);
  });
});

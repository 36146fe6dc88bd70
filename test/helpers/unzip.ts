/** A zip's entries, by name, read whole into memory (for the bundles tests download). */
import yauzl from "yauzl";

export interface ZipEntry {
  bytes: Buffer;
  compressionMethod: number;
}

export function unzip(zip: Buffer): Promise<Map<string, ZipEntry>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => {
      if (error) return reject(error);
      const entries = new Map<string, ZipEntry>();
      file.on("entry", (entry: yauzl.Entry) =>
        file.openReadStream(entry, async (err, stream) => {
          if (err) return reject(err);
          const chunks: Buffer[] = [];
          for await (const chunk of stream) chunks.push(chunk as Buffer);
          entries.set(entry.fileName, { bytes: Buffer.concat(chunks), compressionMethod: entry.compressionMethod });
          file.readEntry();
        }),
      );
      file.on("end", () => resolve(entries));
      file.on("error", reject);
      file.readEntry();
    });
  });
}

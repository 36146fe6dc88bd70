/** Captures a web page in a clean browser: every artifact, and how, when and from where it was taken. */

/** The devices a page can be captured as (device-profiles.ts says what each one is). */
export const CAPTURE_DEVICES = ["desktop", "mobile"] as const;
export type CaptureDevice = (typeof CAPTURE_DEVICES)[number];

/** The device a page was captured as: what was asked for, and what the page saw. */
export interface DeviceUsed {
  name: CaptureDevice;
  /** The real device whose description was used (playwright-core's descriptor), or null for the desktop. */
  emulates: string | null;
  screen: { width: number; height: number };
  deviceScaleFactor: number;
  isMobile: boolean;
  hasTouch: boolean;
}

/** How the page was scrolled before its artifacts were taken (scroll-page.ts). */
export interface PageScroll {
  /** Scroll steps taken, each at most one viewport height down. */
  steps: number;
  /** The page's height (CSS pixels) once scrolled and settled. */
  finalHeight: number;
  /**
   * Why the scroll stopped before the page's end: a bound (`height`: CAPTURE_MAX_SCROLL_HEIGHT, `steps`,
   * `time`), or `stuck`: the page did not move when scrolled. null: the end of the page was reached.
   */
  cutShort: null | "height" | "steps" | "time" | "stuck";
  /** Whether the network went quiet before the artifacts were taken (else they were taken at the bound). */
  networkIdle: boolean;
  /** How much of the page, from its top, the screenshot shows (CSS pixels). */
  screenshotHeight: number;
  bounds: { height: number; steps: number; ms: number };
}

/** A listing as the page publishes it for search engines: schema.org `Product` data. */
export interface ExtractedListing {
  source: "json-ld" | "microdata";
  title?: string;
  price?: string;
  currency?: string;
  seller?: { id?: string; name?: string };
  images: string[];
  listingId?: string;
  brand?: string;
}

export interface CapturedArtifact {
  role: "screenshot" | "mhtml" | "html" | "har" | "wacz" | "video";
  fileName: string;
  mediaType: string;
  bytes: Buffer;
}

/**
 * A request of the page that never left: refused by the egress proxy (it has `host` and `port`), or
 * stopped in the browser itself before any packet was sent.
 */
export interface RefusedRequest {
  /**
   * The URL's scheme (http, https, ws, wss) for what the page asked for; `connect` for a tunnel only the
   * proxy saw (a preconnect); webrtc, webtransport, popup or service-worker for what the browser stopped.
   */
  protocol: string;
  /** What it was aimed at: a URL, a STUN/TURN URI, or host:port for a tunnel. */
  target: string;
  host?: string;
  port?: number;
  reason: string;
}

/** One document load of the main frame. */
export interface Navigation {
  url: string;
  /** initial: the requested URL; http-redirect: an HTTP 3xx; client-side: the page itself (see `trigger`). */
  reachedBy: "initial" | "http-redirect" | "client-side";
  /** For client-side navigations: script, meta-refresh, refresh-header, form, link, reload or other. */
  trigger?: string;
  /** What the site answered; null when nothing answered (refused, failed, cut short). */
  httpStatus: number | null;
  /** The egress proxy refused its address: nothing reached it. */
  refused: boolean;
}

export interface PageCapture {
  requestedUrl: string;
  /** The URL of the last document actually received from a site; null when none was. */
  finalUrl: string | null;
  /** Each URL the main frame went through before the final one. */
  redirects: string[];
  /** The main frame's navigations, in order, refused ones included. */
  navigations: Navigation[];
  http: { status: number; statusText: string; headers: Record<string, string> } | null;
  server: { address: string; port: number } | null;
  tls: { protocol: string; subject: string; issuer: string; validFrom: string; validTo: string; sha256Fingerprint: string | null } | null;
  startedAt: string;
  endedAt: string;
  browser: {
    name: string;
    version: string;
    userAgent: string;
    viewport: { width: number; height: number };
    flags: string[];
    profile: string;
    /** How the browser reached the network. */
    egress: string;
    /** How each way around that route is closed. */
    closedExits: Record<string, string>;
  };
  listing: ExtractedListing | null;
  /** The device the page was captured as; `browser.viewport` and `browser.userAgent` are the ones it used. */
  device: DeviceUsed;
  /** How the page was scrolled; null when it was not (it failed to load). */
  scroll: PageScroll | null;
  /** What the page tried that never left the browser, in the order seen (at most MAX_LISTED_REFUSALS). */
  refused: RefusedRequest[];
  /** Further refused requests, beyond those listed. */
  refusedNotListed: number;
  artifacts: CapturedArtifact[];
  /** Artifacts the capture meant to take but could not, and why (it is complete without them). */
  missingArtifacts?: { role: string; reason: string }[];
  /** How the video of the visit was recorded, or why it could not be; absent when video is turned off. */
  video?: VideoRecord;
  /** The machine, network and clock the capture ran on; absent from a capturer that does not know them. */
  environment?: CaptureEnvironment;
  /** Why the capture failed, if it did (artifacts taken before the failure are still returned). */
  error: string | null;
}

/** The video of the visit: from the browser's first frame to the moment before the screenshot was taken. */
export interface VideoRecord {
  /** The first frame's time (the video's 0 s) and the recording's end, UTC by the service's clock; null if none. */
  startedAt: string | null;
  endedAt: string | null;
  /** The pictures in the video: the browser sends one only when what it shows changes (the last is repeated at the end). */
  frames: number;
  /** The video's time grid, in slots a second: each picture is shown from its slot until the next one's. */
  frameRate: number;
  /** The encoder and format, e.g. `ffmpeg 5.1.9-0+deb12u1, H.264 (libx264) in MP4`. */
  encoder: string;
  /** Why there is no video artifact (the capture's other artifacts are kept); null when there is one. */
  error: string | null;
}

/** One answer the egress proxy used: a host's addresses and what it did with them. */
export interface DnsAnswer {
  host: string;
  port: number;
  /** `address literal` when the URL named an address (nothing was looked up), else the resolver asked. */
  resolvedBy: string;
  /** The addresses answered, in the resolver's order (empty when the lookup failed). */
  addresses: string[];
  /** The address the proxy connected to; null when it refused (see `refused`). */
  connectedTo: string | null;
  refused?: string;
}

export interface CaptureEnvironment {
  os: { type: string; release: string; version: string; distribution: string | null };
  /** The host clock's synchronisation, as the OS reports it; null (with `reason`) when it reports nothing. */
  clock: { synchronized: boolean | null; ntp: boolean | null; source: string; reason?: string };
  /** The git commit the service runs from; null when it does not run from a git checkout. */
  serviceCommit: string | null;
  /** Every distinct answer the egress proxy used, in the order first used. */
  dns: DnsAnswer[];
  /** What the egress proxy refuses, in a sentence. */
  egressRule: string;
}

export interface PageCapturer {
  capture(url: string, options: { timeoutMs: number; maxBytes: number; device: CaptureDevice; signal?: AbortSignal }): Promise<PageCapture>;
}

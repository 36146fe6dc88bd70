// Runs in every frame of the capture browser before the page's own scripts (context.addInitScript;
// the capturer evaluates this file's source there). It takes away what could leave the browser other
// than through the egress proxy (WebRTC, WebTransport), or open more of it (popups, service workers),
// and reports each attempt to the capturer, which lists it in the manifest's refusedRequests. Chromium's
// own switches close the same ways: this makes the attempts visible. Plain JavaScript: browser code,
// checked by the capture tests in Chromium.
function guardEgressInPage(bindingName) {
  const report = globalThis[bindingName]; // kept: the page may overwrite the global, not this reference
  const refuse = (protocol, target) => {
    try {
      report({ protocol, target: String(target).slice(0, 2048) });
    } catch {
      // a target whose toString throws is the page's problem; the attempt is still refused
    }
  };
  const absolute = (url) => {
    try {
      return new URL(String(url), location.href).href;
    } catch {
      return String(url);
    }
  };
  const lock = (owner, name, value) =>
    Object.defineProperty(owner, name, { value, writable: false, configurable: false, enumerable: false });

  function RTCPeerConnection(configuration) {
    const urls = [];
    try {
      for (const server of [].concat(configuration?.iceServers ?? [])) urls.push(...[].concat(server?.urls ?? server?.url ?? []));
    } catch {
      // a configuration that throws when read still starts nothing
    }
    for (const url of urls.length ? urls : ["(no ICE server: local candidates only)"]) refuse("webrtc", url);
    throw new DOMException("WebRTC is disabled in the capture browser", "NotSupportedError");
  }
  lock(globalThis, "RTCPeerConnection", RTCPeerConnection);
  lock(globalThis, "webkitRTCPeerConnection", RTCPeerConnection);

  function WebTransport(url) {
    refuse("webtransport", absolute(url));
    throw new DOMException("WebTransport is disabled in the capture browser", "NotSupportedError");
  }
  lock(globalThis, "WebTransport", WebTransport);

  lock(globalThis, "open", function open(url) {
    refuse("popup", absolute(url ?? "about:blank"));
    return null;
  });

  if (globalThis.ServiceWorkerContainer) {
    lock(ServiceWorkerContainer.prototype, "register", function register(url) {
      refuse("service-worker", absolute(url));
      return Promise.reject(new DOMException("Service workers are not run in the capture browser", "SecurityError"));
    });
  }
}

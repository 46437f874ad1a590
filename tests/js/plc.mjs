// An @atproto/identity resolver for a test pdsd that serves its own PLC directory under
// <PDS_URL>/plc (or for any PLC directory mounted below a path).
import { IdResolver, MemoryCache } from '@atproto/identity'

/**
 * The official resolver builds `new URL('/<did>', plcUrl)`, which drops a path prefix such as
 * `/plc`, and its default fetch refuses loopback addresses (SSRF protection). This fetch puts
 * the prefix back and allows loopback: it is only for test servers.
 */
export function idResolver(plcUrl) {
  const base = new URL(plcUrl.replace(/\/+$/, '') + '/')
  const prefix = base.pathname.replace(/\/$/, '')
  const fetchWithPrefix = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    if (url.origin === base.origin && prefix && !url.pathname.startsWith(`${prefix}/`)) {
      url.pathname = prefix + url.pathname
    }
    return globalThis.fetch(input instanceof Request ? new Request(url, input) : url, init)
  }
  return new IdResolver({ plcUrl: base.origin, fetch: fetchWithPrefix, didCache: new MemoryCache() })
}

// Requests shaped exactly as the guides' curl commands send them.

export interface CurlResponse {
  status: number;
  body: unknown;
}

/** `curl -X POST URL -H "Content-Type: application/json" -d @file` */
export async function postJson(url: string, body: unknown): Promise<CurlResponse> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** `curl -s URL -d '…'` (no Content-Type: curl sends application/x-www-form-urlencoded) */
export async function curlData(
  url: string,
  data: string,
  method: "POST" | "PUT" = "POST",
): Promise<CurlResponse> {
  const res = await fetch(url, {
    method,
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: data,
  });
  return { status: res.status, body: await res.json() };
}

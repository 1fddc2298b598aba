/**
 * The HTTP limits of the node and the gateway, one place for both. Node's defaults leave a
 * request all the time it likes (fastify's requestTimeout is 0) and take any number of
 * connections: a client that sends its body a byte a minute, or opens thousands of sockets,
 * would hold the process's memory and file descriptors.
 */
import type { FastifyInstance } from "fastify";
import type { ServerOptions } from "node:http";

/** 1 MiB: larger JSON bodies get 413 (the IPFS upload route streams and has its own bound). */
export const BODY_LIMIT = 1024 * 1024;

export type HttpLimits = {
  bodyLimit: number;
  /**
   * The whole request (headers and body) must arrive within this (ms). Answers, streams included,
   * are not bounded by it.
   */
  requestTimeout: number;
  /** The headers within this (ms): slow-loris. */
  headersTimeout: number;
  /** How often Node looks for requests past those two (ms). */
  checkInterval: number;
  /** An idle kept-alive socket is closed after this (ms). */
  keepAliveTimeout: number;
  /** Sockets open at once; past it new connections are closed at once. */
  maxConnections: number;
  /** Header bytes per request. */
  maxHeaderSize: number;
};

export const HTTP_LIMITS: Readonly<HttpLimits> = {
  bodyLimit: BODY_LIMIT,
  // Ten minutes: time for a multi-GiB artifact upload (POST /api/ipfs) over loopback, not for a
  // client that trickles.
  requestTimeout: 10 * 60_000,
  headersTimeout: 30_000,
  checkInterval: 5_000,
  // fastify's and Node's defaults, said here on purpose.
  keepAliveTimeout: 72_000,
  maxConnections: 512,
  maxHeaderSize: 16 * 1024,
};

/** The fastify options that carry the limits (`overrides`: tests). */
export function limitedServerOptions(overrides: Partial<HttpLimits> = {}): {
  bodyLimit: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  const l = { ...HTTP_LIMITS, ...overrides };
  return {
    bodyLimit: l.bodyLimit,
    requestTimeout: l.requestTimeout,
    keepAliveTimeout: l.keepAliveTimeout,
    http: { headersTimeout: Math.min(l.headersTimeout, l.requestTimeout), connectionsCheckingInterval: l.checkInterval, maxHeaderSize: l.maxHeaderSize },
  };
}

/** Caps the connections of `app`'s server (call once it is created). */
export function limitConnections(app: FastifyInstance, overrides: Partial<HttpLimits> = {}): void {
  app.server.maxConnections = overrides.maxConnections ?? HTTP_LIMITS.maxConnections;
}

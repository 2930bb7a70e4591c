import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AgentError } from '../errors';
import { formatHostPort } from './bind-address';
import { createImdsHandler, type ImdsHandlerOptions } from './imds-handler';

export const DEFAULT_IMDS_PORT = 9911;

export interface ImdsServerOptions extends ImdsHandlerOptions {
  /** Address to listen on (checked by the caller; see resolveBindAddress). Default 127.0.0.1. */
  host?: string;
  /** Default 9911; 0 picks a free port. */
  port?: number;
  /** Request line plus headers (default 8 KiB; IMDS requests are a few hundred bytes). */
  maxHeaderBytes?: number;
  /** Time to receive the headers (default 5 s) and the whole request (default 10 s). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Idle time of a kept-alive connection (default 5 s). */
  keepAliveTimeoutMs?: number;
  /** Open connections at once (default 256); more are refused by the server. */
  maxConnections?: number;
  /** Called with each accepted connection before any response is written (serve sets the hop limit). */
  onConnection?: (socket: Socket) => void;
}

export interface ImdsServer {
  /** http://<address>:<port>, what AWS_EC2_METADATA_SERVICE_ENDPOINT takes. */
  url: string;
  address: string;
  port: number;
  /** Stops accepting, lets requests in progress finish (at most `graceMs`), closes every connection. */
  close(graceMs?: number): Promise<void>;
}

/** Starts the IMDSv2-compatible endpoint (see imds-handler.ts) with size limits and timeouts. */
export async function startImdsServer(options: ImdsServerOptions): Promise<ImdsServer> {
  const host = options.host ?? '127.0.0.1';
  const headersTimeout = options.headersTimeoutMs ?? 5_000;
  const server = createServer(
    {
      maxHeaderSize: options.maxHeaderBytes ?? 8 * 1024,
      headersTimeout,
      requestTimeout: Math.max(headersTimeout, options.requestTimeoutMs ?? 10_000),
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 5_000,
      connectionsCheckingInterval: Math.min(1_000, headersTimeout),
    },
    createImdsHandler(options),
  );
  server.maxConnections = options.maxConnections ?? 256;
  const { onConnection } = options;
  if (onConnection) {
    server.on('connection', (socket: Socket) => {
      try {
        onConnection(socket);
      } catch (error) {
        // A connection we cannot set up as asked gets no answer rather than a weaker one.
        options.log?.(`connection refused: ${error instanceof Error ? error.message : String(error)}`);
        socket.destroy();
      }
    });
  }
  server.maxRequestsPerSocket = 1_000;
  // Idle sockets (a client that connected and said nothing) go away.
  server.setTimeout(30_000, (socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new AgentError(
          'LISTEN_FAILED',
          `cannot listen on ${formatHostPort(host, options.port ?? DEFAULT_IMDS_PORT)}: ${error.code ?? error.message}`,
          {
            hint:
              error.code === 'EADDRINUSE'
                ? 'another process uses that port: stop it or pick another with --port'
                : error.code === 'EADDRNOTAVAIL'
                  ? 'that address is not on any interface of this host: check --bind'
                  : 'check --bind and --port (ports below 1024 need privileges)',
            cause: error,
          },
        ),
      );
    };
    server.once('error', onError);
    server.listen({ host, port: options.port ?? DEFAULT_IMDS_PORT }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${formatHostPort(address, port)}`,
    address,
    port,
    close(graceMs = 2_000) {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

import type { Socket } from 'node:net';
import type { PeerCredentials } from '../native';
import type { Principals } from './config-types';

export type Peer = PeerCredentials;

/** Reads the kernel's record of who connected (SO_PEERCRED); throws when it cannot. */
export type PeerReader = (socket: Socket) => Peer;

/**
 * Whether `peer` is one of `principals`: its uid is listed, its gid, or one of its supplementary
 * groups, all as the kernel recorded them at connect() (SO_PEERCRED, SO_PEERGROUPS): a client
 * cannot change them afterwards, and nothing is read from /proc (racy).
 */
export function isAuthorized(peer: Peer, principals: Principals): boolean {
  if (principals.uids.includes(peer.uid) || principals.gids.includes(peer.gid)) return true;
  return peer.groups?.some((gid) => principals.gids.includes(gid)) ?? false;
}

/** Remembers each connection's peer, read once when it connects. */
export function createPeerRegistry(read: PeerReader) {
  const peers = new WeakMap<Socket, Peer>();
  return {
    /** Identifies a new connection; false when the kernel cannot tell who it is (refuse it). */
    identify(socket: Socket): boolean {
      try {
        peers.set(socket, read(socket));
        return true;
      } catch {
        return false;
      }
    },
    peerOf(socket: Socket): Peer | undefined {
      return peers.get(socket);
    },
  };
}

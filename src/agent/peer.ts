import type { Socket } from 'node:net';
import type { PeerCredentials } from '../native';
import type { Principals } from './config-types';

export type Peer = PeerCredentials;

/** Reads the kernel's record of who connected (SO_PEERCRED); throws when it cannot. */
export type PeerReader = (socket: Socket) => Peer;

/**
 * Whether `peer` is one of `principals`: its uid is listed, or its gid. The gid is the one the
 * kernel recorded at connect() (the client's effective primary group); supplementary groups
 * are not consulted, since SO_PEERCRED does not carry them and /proc would be racy.
 */
export function isAuthorized(peer: Peer, principals: Principals): boolean {
  return principals.uids.includes(peer.uid) || principals.gids.includes(peer.gid);
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

/**
 * Where an instance came from. Every stored instance carries its origin, as Orthanc's DicomInstanceOrigin does.
 */

/** How an instance reached Fovea. */
export type OriginProtocol = 'dimse' | 'stow-rs' | 'dicomweb-watch' | 'file';

/** The provenance of one received instance. */
export interface Origin {
  readonly protocol: OriginProtocol;
  /** Peer IP address (DIMSE, HTTP) or the PACS id (watcher). */
  readonly peerAddress: string;
  readonly callingAet?: string;
  readonly calledAet?: string;
  /** The authenticated principal of an HTTP request, when there is one. */
  readonly principal?: string;
  /** Association id, HTTP request id or watcher poll id: ties the instance to the log lines of its transfer. */
  readonly requestId: string;
  /** The site the instance belongs to (see `SiteConfig`). */
  readonly site: string;
}

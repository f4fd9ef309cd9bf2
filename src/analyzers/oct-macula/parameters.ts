/**
 * Every tunable number of the oct-macula algorithm, in one object: the manifest's model hash is the SHA-256
 * of its JSON, so changing any of them changes the hash.
 */
export const parameters = {
  version: 2,
  smoothing: {
    /** Box radii (rows, columns) of the two-pass smoothing used for edges. */
    edge: [1, 2],
    /** Extra smoothing (rows, columns) used to find the bright RPE band. */
    band: [2, 6],
    /** Smoothing (rows, along the A-scan only) of the brightness the RPE band path follows. */
    bandPathRows: 2,
  },
  /** Where the ILM rises or falls by this many rows per A-scan and more, it is placed on the A-scan's own profile. */
  ilmOnSteepWalls: { steepSlopeRows: 2, searchRows: 6 },
  /** The RPE band lies at least this far below the ILM (µm; the RNFL above it can be as bright). */
  minimumRetinaUm: 110,
  paths: {
    /** Largest row change between neighbouring A-scans, and the cost per row of change (display units). */
    ilm: { maxStep: 4, stepPenalty: 1.5, darkAboveWeight: 1.2 },
    /** The RPE band and surface may also climb steep walls (a tall PED) at `steepPenalty` per extra row. */
    rpeBand: { smallStep: 3, smallPenalty: 2, steepPenalty: 10 },
    rpe: { smallStep: 3, smallPenalty: 1, steepPenalty: 4 },
    bm: { maxStep: 1, stepPenalty: 1 },
    inner: { maxStep: 2, stepPenalty: 2, darkBelowWeight: 0.6 },
    /** 3-D consistency: a B-scan whose boundary departs from its neighbours' by more than this (rows)… */
    consistencyRows: 8,
    /** …at more than this share of its A-scans is searched again near the neighbours' boundary. */
    consistencyShare: 0.03,
    /** …but only in volumes whose B-scans are at most this far apart (mm). */
    consistencyMaxSpacingMm: 0.15,
  },
  /**
   * Offsets (rows) added to each detected boundary so that it lands where the anatomical boundary is (an
   * edge filter puts a boundary a fraction of a row away from the interface). Calibrated on synthetic
   * phantoms (test/analyzers/oct-macula.test.ts prints the residual bias).
   */
  offsets: {
    ILM: 0.32,
    'RNFL-GCL': -0.3,
    'IPL-INL': -0.15,
    'INL-OPL': 0.14,
    'OPL-ONL': -0.17,
    ELM: -0.43,
    EZ: 0.53,
    RPE: 1.15,
    BM: -1.75,
    /** Bruch's membrane under a PED: the fluid-to-membrane edge (a clean dark-to-light step, as the ILM). */
    bmUnderFluid: 0.32,
  },
  bm: {
    /** The RPE is elevated (a PED) where it lies this many rows above the fitted Bruch's membrane and more. */
    elevationRows: 9,
    /** Rounds of the robust fit and the rows above the fit beyond which a point is left out. */
    fitRounds: 5,
    outlierRows: 3,
    /** …and only where the gap between them is darker than this share of the RPE band (fluid, not tissue). */
    darkGapRatio: 0.45,
    /** Polynomial degree of Bruch's membrane along a B-scan. */
    degree: 4,
  },
  fluid: {
    /** Linear intensity relative to the A-scan's RPE brightness below which a pixel is fluid. */
    darkRatio: 0.0075,
    /** Box radii (rows, columns) of the smoothing before the threshold (linear intensity). */
    smoothing: [2, 3],
    /** …and, for cysts a few rows high that the strong smoothing blurs away, a lighter one and a lower threshold. */
    thinSmoothing: [1, 3],
    thinDarkRatio: 0.005,
    /**
     * Below the photoreceptors (SRF) and under the RPE the contrast is high (fluid against outer segments
     * and RPE), so a finer smoothing and a higher threshold keep thin fluid.
     */
    fineSmoothing: [0, 1],
    fineDarkRatio: 0.012,
    /** Intraretinal fluid grows this many voxel steps into neighbours darker than this on the fine plane. */
    growRounds: 2,
    growDarkRatio: 0.012,
    /** Intraretinal fluid components (4-connected in a B-scan) smaller than this are dark specks, not cysts. */
    minComponentVoxels: 12,
    /** A PED column counts when it is at least this many rows high, an SRF column at least `minSrfRows`. */
    minHeightRows: 2,
    minSrfRows: 2,
    /** The row above SRF is fluid too when it is darker than this share of the photoreceptor tips above it. */
    srfEdgeShare: 0.5,
    /** Thickness of the RPE (µm) between its inner surface and the top of a PED. */
    rpeThicknessUm: 18,
  },
  quality: {
    /** Signal strength (dB of the retina over the vitreous noise) below which a volume is ungradable. */
    minSignalDb: 12,
    /** Share of A-scans whose retina touches the top or bottom of the window beyond which it is cut off. */
    maxCutOffShare: 0.05,
    /** Distance (mm) of the fovea from the scan centre beyond which the scan is decentred. */
    maxDecentrationMm: 1,
    /** Share of saturated (255) voxels inside the retina beyond which it is clipped. */
    maxSaturatedShare: 0.02,
  },
  fovea: {
    /** Search radius (mm) around the scan centre and the smoothing (mm) of the inner-retina map. */
    searchRadiusMm: 1.5,
    smoothingMm: 0.1,
    /** Points within this many µm of the minimum take part in the centroid. */
    centroidUm: 8,
    centroidRadiusMm: 0.35,
  },
} as const;

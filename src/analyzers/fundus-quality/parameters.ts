/**
 * Every parameter and threshold of the gradability assessment, in one frozen object. The manifest's model
 * hash is the SHA-256 of its JSON, so a changed threshold is a changed model. README.md says how each value
 * was chosen. Every `min…`/`max…` value is a threshold (a component scores 0.5 there); `good…` is where
 * the component reaches 1.
 */
export const parameters = {
  /** Longest side of the coarse plane the field of view is found on. */
  coarseSize: 512,
  /** Diameter, in pixels, the field of view is resampled to for every other measure. */
  workingFieldDiameter: 512,
  fieldOfView: {
    /** Background level: this percentile of brightness over the whole frame. */
    backgroundPercentile: 0.02,
    /** Retina level: this percentile of brightness over the whole frame. */
    retinaPercentile: 0.9,
    /** Threshold = background + max(minStep, relativeStep × (retina − background)). */
    relativeStep: 0.15,
    minStep: 0.02,
    /** Opening radius (coarse pixels) that removes text, noise and thin glare from the mask. */
    openingRadius: 2,
    /** Fewer edge points than this and no circle is fitted. */
    minEdgePoints: 24,
    /** A fitted radius below this share of the shorter frame side is not a field of view. */
    minRadiusFraction: 0.1,
    /** Ungradable below this share of the field's circle inside the frame. */
    minVisibleFraction: 0.7,
    goodVisibleFraction: 0.85,
    /**
     * Ungradable when the field is cut by the frame (less than `cutVisibleFraction` of it visible) and its
     * centre is more than `maxCentreOffset` radii from the frame's centre: a field framed off-centre.
     */
    cutVisibleFraction: 0.95,
    maxCentreOffset: 0.25,
    goodCentreOffset: 0.1,
    /** The surround's level is measured this many coarse pixels away from the field's mask … */
    surroundMargin: 3,
    /** … when at least this share of the frame lies there. */
    minBackgroundFraction: 0.05,
    /** Ungradable when the visible field covers less of the frame than this. */
    minFrameFraction: 0.15,
    goodFrameFraction: 0.3,
  },
  /** The analysis region: the field's circle shrunk by this share of its radius (rim glare, vignetting). */
  coreRadiusFraction: 0.92,
  exposure: {
    /** Ungradable (underexposed) when the median luminance of the field is below this (0–1). */
    minMedianLuminance: 0.225,
    /** Median luminance from which the exposure component is full marks. */
    goodMedianLuminance: 0.3,
    /** Ungradable (overexposed) when the median luminance is above this. */
    maxMedianLuminance: 0.88,
    goodMaxMedianLuminance: 0.75,
    /** Ungradable (overexposed) when more of the field than this is brighter than `brightLevel`. */
    maxBrightFraction: 0.25,
    goodBrightFraction: 0.05,
    brightLevel: 0.9,
    /**
     * Ungradable (overexposed) when the unlit surround of the field is brighter than this: stray light, or a
     * gain and offset so high that even the black surround is recorded as grey, which washes out the retina.
     */
    maxBackgroundLevel: 0.08,
    goodBackgroundLevel: 0.04,
  },
  detail: {
    /** Local background (sigma as a share of the field diameter) the green channel is divided by. */
    backgroundSigma: 0.03,
    /** Pixels (working) trimmed from the analysis region before band energies are measured. */
    edgeMargin: 3,
  },
  contrast: {
    /** Ungradable when the spread (95th − 5th percentile) of the normalised green is below this. */
    minSpread: 0.145,
    goodSpread: 0.22,
  },
  focus: {
    /** Sigmas (working pixels) of the Gaussian blurs whose differences make the fine and the coarse band. */
    fineSigma: 1.5,
    midSigma: 3,
    coarseSigma: 6,
    /** Ungradable when the fine band's energy over the coarse band's is below this. */
    minSharpness: 0.7,
    goodSharpness: 0.85,
  },
  opticDisc: {
    /** Disc diameter as a share of the field diameter (45° camera: about 1/7). */
    diameterFraction: 0.14,
    /** Blob and surround sigmas, in disc radii. */
    blobSigma: 0.5,
    surroundSigma: 2,
    /** Ungradable when the brightest disc-sized blob is less than this much brighter than its surround. */
    minContrast: 0.12,
    goodContrast: 0.2,
  },
  macula: {
    /** Search annulus around the disc, in disc diameters. */
    minDistance: 2,
    maxDistance: 3,
    /** Largest angle from horizontal of the disc-to-macula line, in degrees. */
    maxAngle: 20,
    /** Distance (disc diameters) the macula must keep from the field's rim. */
    rimMargin: 0.5,
    /** Centre and surround sigmas, in disc diameters. */
    centreSigma: 0.3,
    surroundSigma: 1,
    /** Ungradable when the darkest macula-sized region is less than this much darker than its surround. */
    minContrast: 0.035,
    goodContrast: 0.07,
  },
} as const;

/** The parameter set's type. */
export type QualityParameters = typeof parameters;

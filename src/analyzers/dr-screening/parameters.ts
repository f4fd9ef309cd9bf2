/**
 * Every parameter and threshold of the DR screening algorithm, in one frozen object; the manifest's model hash
 * is the SHA-256 of its JSON. README.md says how the values were chosen.
 */
export const parameters = {
  field: {
    /** Longest side of the coarse copy the field of view is found on. */
    coarseSize: 512,
    backgroundPercentile: 0.02,
    retinaPercentile: 0.9,
    relativeStep: 0.15,
    /** The analysed field: the circle shrunk to this share of its radius (rim glare and vignetting). */
    rimMargin: 0.99,
    /** Pixels darker than this (max of R, G, B) are outside the field even inside the circle. */
    minLitLevel: 0.03,
  },
  vessels: {
    /** Field diameter (px) of the vessel working scale: about DRIVE's. */
    fieldDiameter: 560,
    /** Line detector window W (odd; lengths 1, 3, …, W). */
    window: 15,
    /** Background of the green normalisation: Gaussian sigma as a share of the field diameter. */
    backgroundSigma: 0.03,
    /**
     * The statistics and the rim extension start from the field eroded by this share of its radius (the last
     * pixels inside the aperture are darkened by vignetting and the aperture's blur) …
     */
    rimErosion: 0.01,
    /** … and the response covers the field grown by this share of its radius (the whole aperture of a camera). */
    rimExtension: 0.04,
    /** Normalised green above this is clipped before inversion for the line detector … */
    lineClip: 1.5,
    /** … and for the ridge strength (lower: the retina beside the bright optic disc would look like a vessel). */
    ridgeClip: 1.08,
    /** Gaussian sigmas (px at the vessel scale) of the Hessian ridge strength. */
    ridgeScales: [1.5, 2, 3, 4],
    /** Weight of the standardised ridge strength against the standardised line response (1 = equal). */
    ridgeWeight: 1,
    /**
     * Vessel where the combined response (in units of the background's spread, see vessels.ts) is above
     * `lowThreshold` and connected to a pixel above `highThreshold`.
     */
    lowThreshold: 4,
    highThreshold: 8,
    /**
     * The background's spread counts as at least this many standard deviations of the response (photographs
     * here 0.22–0.40, phantoms about 0.1).
     */
    minSpread: 0.2,
    /**
     * The map the lesion detectors and landmarks use (`VesselMap.mask`): mean of the standardised line responses
     * and inverted green above this (0.3.0's rule, with which they were tuned).
     */
    detectorThreshold: 0.7,
  },
  landmarks: {
    /** Field diameter (px) of the coarse copy the disc and fovea are searched on. */
    coarseDiameter: 256,
    /** Expected disc diameter as a share of the field diameter (45° camera). */
    discDiameterFraction: 0.13,
    /** The disc is searched within this share of the field radius. */
    discSearchRadius: 0.9,
    /** Weight of the standardised vessel density against the standardised brightness contrast. */
    vesselWeight: 1,
    /** Largest angle (degrees) of the disc-to-fovea line from the horizontal. */
    foveaMaxAngleDeg: 25,
    /** Vessel density (0–1) added to the blurred green when looking for the darkest place. */
    foveaVesselPenalty: 0.3,
  },
  lesions: {
    /** Field diameter (px) of the lesion working scale (smaller photographs are not enlarged). */
    fieldDiameter: 1024,
    /** Background of the green normalisation: Gaussian sigma as a share of the field diameter. */
    backgroundSigma: 0.03,
    /** Vessels (grown by this share of the field radius) are left out of the background and of bright lesions. */
    vesselMargin: 0.006,
    /** Lesions are searched within this share of the field radius (the rim is dim and vignetted). */
    rimExclusion: 0.93,
    /** A vessel pixel is vessel-like when its smallest directional excess is below this share of its largest. */
    vesselLikeRatio: 0.5,
    /** Blob cores grow by this many vessel-scale pixels (the ring where lines still leave the blob). */
    blobGrowth: 4,
    /** Red lesion pixels: normalised green darker than 1 − this. */
    redLevel: 0.1,
    /** A red lesion's darkest pixel must be darker than 1 − this. */
    redPeak: 0.18,
    /** No red lesion within this many DD of the disc centre, or of the foveal centre. */
    redDiscExclusion: 1.5,
    redFoveaExclusion: 0.25,
    /** No red lesion centred within this many DD of the foveal centre (the darker fovea itself). */
    redFoveaCentroidExclusion: 0.4,
    /**
     * A red lesion smaller than `touchingVesselMaxDd` may not come closer than `microaneurysmVesselGap`
     * lesion-scale px to a vessel-like pixel (vessel crossings, branchings and fragments look like dots).
     */
    microaneurysmVesselGap: 6,
    touchingVesselMaxDd: 0.12,
    /** A microaneurysm's darkest pixel must be darker than 1 − this (tiny components need more contrast). */
    microaneurysmPeak: 0.27,
    /** Bright lesion pixels: normalised green brighter than 1 + this; peak above 1 + brightPeak. */
    brightLevel: 0.12,
    brightPeak: 0.2,
    /**
     * A hard exudate (smaller than a cotton-wool spot) needs a peak above 1 + this: chosen on HEI-MED (per-image
     * sensitivity 0.96, specificity 0.68 there at 640 px wide, against 1.00 / 0.12 at 0.2), i.e. tuned on the
     * set it is reported on.
     */
    exudatePeak: 0.36,
    /** No bright lesion within this many DD of the disc centre. */
    brightDiscExclusion: 0.9,
    /** … nor within this many DD of the foveal centre (the foveal reflex). */
    brightFoveaExclusion: 0.15,
    /** Smallest red component, and smallest bright component (working pixels). */
    minArea: 3,
    brightMinArea: 5,
    /** Components longer than this times their width are vessel fragments (unless `elongatedMinDd` wide or more). */
    maxElongation: 3.5,
    elongatedMinDd: 0.6,
    /** Microaneurysm when the equivalent diameter is below this (DD; 125 µm of a 1.8 mm disc). */
    microaneurysmMaxDd: 0.1,
    /**
     * Pre-retinal haemorrhage when the equivalent diameter is at least this (DD) and the mean darkness (1 −
     * normalised green) at least `preretinalMinDarkness`: a pool of blood in front of the retina hides it
     * (dev phantoms: 0.75–0.78 against at most 0.39 for merged haemorrhage clusters of that size).
     */
    preretinalMinDd: 0.35,
    preretinalMinDarkness: 0.5,
    /** Cotton-wool spot when a bright lesion's equivalent diameter is at least this (DD). */
    cottonWoolMinDd: 0.17,
  },
  newVessels: {
    /** Vessels (lesion-scale map) grown by this many px are left out of the NVD measure. */
    vesselGap: 1,
    /** Gaussian sigma (working px) of the green before the ridge test (noise). */
    smoothing: 1,
    /** The disc window: this many DD around the disc centre … */
    discRadiusDd: 0.45,
    /** … against a reference ring from this many DD from the disc centre … */
    referenceInnerDd: 1.2,
    /** … to this many. */
    referenceOuterDd: 2,
    /** A ridge pixel (for the tangle share) is darker than both neighbours 2 px away by this share of their mean. */
    ridgeContrast: 0.05,
    /** Ridge stretches (8-connected) of fewer pixels than this are noise … */
    minRidgeLength: 8,
    /** … and those longer than this times their width (major / minor axis) are normal vessels: a tangle curls. */
    maxRidgeElongation: 3,
    /**
     * NVD when the disc's mean ridge contrast is at least this times the ring's … (development phantoms
     * `nvdev-d-0…119` and `nvdev-neg-0…161` with 0.4.0's vessel map: 21 of 40 with NVD found, none of the 242
     * others, whose largest ratio is 1.04; 1.4 and 0.009 of 0.4.0 found 9 of those 40; README)
     */
    minContrastRatio: 1.2,
    /** … and at least this share of the disc's tissue lies on curled ridge stretches. */
    minTangleShare: 0.004,
  },
  grading: {
    /** Hard exudates within this many DD of the foveal centre involve the centre (500 µm of a 1.8 mm disc). */
    centreDd: 0.28,
    /**
     * Share of red lesions (haemorrhages and microaneurysms) the detector counts per quadrant, calibrated on
     * phantoms with other seeds than the test's (level 3: 11–18 counted in the sparsest quadrant against more
     * than 20 drawn; level 4: 3–9; level 2: 0–2): the 4-2-1 rule's "> 20 per quadrant" is applied to
     * counted / recall, i.e. to more than 10 counted.
     */
    haemorrhageRecall: 0.5,
    /** The analysis' own gradability: ungradable below this share of the field's circle in the frame … */
    minVisibleFraction: 0.6,
    /**
     * … or when the field's diameter is less than this share of the frame's shorter side (a small pupil leaves a
     * smaller lit disc; a 45° camera's field fills the frame's height or overflows it). Phantoms: small pupil
     * 0.70–0.76, clean 0.96 at 1024 × 768, 2048 × 1536 and 2000 × 2000; real photographs here (EyePACS 68,
     * HEI-MED 85, DRIVE 20) 0.93–1.32. It replaces 0.4.1's share of the frame covered by the visible field,
     * which depended on the frame's aspect ratio (a square frame's clean field covers 0.73 of it, a small pupil
     * 0.39–0.46: above that check's 0.4, so small-pupil phantoms at 2000 × 2000 were graded) …
     */
    minFieldToFrame: 0.85,
    /** … or below this share of the field labelled vessel (vessels not resolvable). */
    minVesselFraction: 0.02,
  },
} as const;

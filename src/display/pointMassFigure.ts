/**
 * The point mass's paths past the wall, split by which gap was open. One gap is open per episode,
 * so each gap is drawn in the colour of the episodes for which it was shut (faint), and the wall's
 * solid parts in grey: a path of one colour that crosses a faint rectangle of its own colour hit it.
 */
import { PALETTE, pathBundle, trajectories, type Obstacle } from "./figures";
import type { Figure } from "./plotly";

/** The wall's geometry, in the point mass's units (its `PointMassOptions`). */
export interface WallGeometry {
  stepsToWall: number;
  revealSteps: number;
  gapCenter: number;
  gapHalfWidth: number;
  wallHalfLength: number;
}

/**
 * Paths (x, y) of point-mass episodes past the wall with two gaps.
 * @param episodeStates E episodes, each (T + 1) rows [x, y, gap, crashed] (`Episodes.states`)
 */
export function wallPathsFigure(title: string, episodeStates: number[][][], wall: WallGeometry): Figure {
  if (episodeStates.length === 0) throw new Error("wallPathsFigure: episodeStates must hold at least one episode");
  const { stepsToWall: X, gapCenter: c, gapHalfWidth: w, wallHalfLength: L } = wall;
  const revealAt = X - wall.revealSteps;
  const [upperColor, lowerColor] = [PALETTE[0], PALETTE[3]];
  const piece = (y0: number, y1: number, color?: string, opacity?: number): Obstacle => ({
    x0: X - 0.08,
    x1: X + 0.08,
    y0,
    y1,
    color,
    opacity,
  });
  const paths = (gap: number) =>
    pathBundle(
      episodeStates
        .filter((s) => s[s.length - 1][2] === gap)
        .map((s) => ({ x: s.map((r) => r[0]), y: s.map((r) => r[1]) })),
    );
  const yRange: [number, number] = [-L - 0.5, L + 0.5];
  return trajectories({
    title,
    x: { label: "x, along the drift (units)", range: [-0.2, X + 0.5] },
    y: { label: "y, lateral (units)", range: yRange },
    series: [
      { name: "upper gap open (lower gap shut: faint blue)", ...paths(1), color: upperColor },
      { name: "lower gap open (upper gap shut: faint orange)", ...paths(-1), color: lowerColor },
      { name: "gap revealed here", x: [revealAt, revealAt], y: yRange, dash: true, color: PALETTE[7] },
    ],
    obstacles: [
      piece(-L, -c - w),
      piece(-c + w, c - w),
      piece(c + w, L),
      piece(c - w, c + w, lowerColor, 0.3), // the upper gap: shut when the lower one is open
      piece(-c - w, -c + w, upperColor, 0.3),
    ],
  });
}

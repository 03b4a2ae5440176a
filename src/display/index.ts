/**
 * Notebook outputs: figures, tables and progress. The only part of the library that
 * produces output; everything else returns data.
 */
import { show } from "./output";
import { figureOutput, type Figure } from "./plotly";
import { tableOutput, type FrameLike, type Row, type TableOptions } from "./table";

export * from "./figures";
export {
  figureOutput,
  plotlyLoaderHtml,
  withFallbackImage,
  describeFigure,
  OUTPUT_KIND,
  PLOTLY_MIME,
  type Figure,
} from "./plotly";
export { tableOutput, formatCell, type Row, type FrameLike, type TableOptions } from "./table";
export { progress, progressOutput, ProgressBar, type ProgressOptions, type ProgressState } from "./progress";
export { show, inKernel, escapeHtml, type MimeBundle, type Output } from "./output";
export {
  fitHistoryFigure,
  uprightDistanceFigure,
  predictionErrorFigure,
  trainingHistoryFigure,
  costAgainstNoiseFigure,
  type FitCurvePoint,
  type AngleCurve,
  type HistoryCurve,
  type EstimateSeries,
  type ExactCurve,
} from "./courseFigures";

let figuresShown = 0;

/**
 * Show a figure: one output that JupyterLab, Notebook 7 and VS Code draw with plotly's own
 * renderer, and nbconvert's pages with the plotly.js they load. Nothing is embedded once per
 * kernel session, so a figure draws in a reloaded page or a reopened tab as well.
 */
export function showFigure(figure: Figure): void {
  show(figureOutput(figure, ++figuresShown));
}

/** Show rows (objects) or a danfo DataFrame as an HTML table. */
export function showTable(source: Row[] | FrameLike, options?: TableOptions): void {
  show(tableOutput(source, options));
}

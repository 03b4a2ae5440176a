/**
 * Notebook outputs: figures, tables and progress. The only part of the library that
 * produces output; everything else returns data.
 */
import { show } from "./output";
import { figureOutput, plotlyInitOutput, type Figure } from "./plotly";
import { tableOutput, type FrameLike, type Row, type TableOptions } from "./table";

export * from "./figures";
export { figureOutput, plotlyInitOutput, plotlyLoaderHtml, withFallbackImage, describeFigure, OUTPUT_KIND, type Figure } from "./plotly";
export { tableOutput, formatCell, type Row, type FrameLike, type TableOptions } from "./table";
export { progress, progressOutput, ProgressBar, type ProgressOptions, type ProgressState } from "./progress";
export { show, inKernel, escapeHtml, type MimeBundle, type Output } from "./output";

let figuresShown = 0;

/** Show a figure. The first figure of a kernel session also embeds plotly.js, once. */
export function showFigure(figure: Figure): void {
  if (figuresShown === 0) show(plotlyInitOutput());
  show(figureOutput(figure, ++figuresShown));
}

/** Show rows (objects) or a danfo DataFrame as an HTML table. */
export function showTable(source: Row[] | FrameLike, options?: TableOptions): void {
  show(tableOutput(source, options));
}

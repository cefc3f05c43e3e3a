// jsdom has no canvas: report "no 2D context" as a browser without one would,
// instead of jsdom's not-implemented error. The chart then draws nothing.
HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;

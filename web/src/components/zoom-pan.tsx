/**
 * Zoom and pan of an image stage: the mouse wheel zooms about the pointer, dragging pans, and buttons zoom in,
 * out and reset (keyboard reachable). The stage is scaled with a CSS transform, so an SVG layer over the image
 * moves with it exactly.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';

interface View {
  readonly scale: number;
  readonly x: number;
  readonly y: number;
}

const identity: View = { scale: 1, x: 0, y: 0 };
const minScale = 1;
const maxScale = 12;

function zoomed(view: View, factor: number, cx: number, cy: number): View {
  const scale = Math.min(maxScale, Math.max(minScale, view.scale * factor));
  if (scale === minScale) {
    return identity;
  }
  const ratio = scale / view.scale;
  return { scale, x: cx - (cx - view.x) * ratio, y: cy - (cy - view.y) * ratio };
}

/** A zoomable, pannable frame around `children`. */
export function ZoomPan({ children, label }: { readonly children: ReactNode; readonly label: string }) {
  const frame = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<View>(identity);
  const drag = useRef<{ pointerId: number; x: number; y: number } | undefined>(undefined);

  useEffect(() => {
    const element = frame.current;
    if (element === null) {
      return undefined;
    }
    // React's wheel listener is passive; zooming must stop the page from scrolling.
    const onWheel = (event: WheelEvent): void => {
      event.preventDefault();
      const box = element.getBoundingClientRect();
      const factor = Math.exp(-event.deltaY * 0.0015);
      setView((current) => zoomed(current, factor, event.clientX - box.left, event.clientY - box.top));
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      element.removeEventListener('wheel', onWheel);
    };
  }, []);

  const zoomCentre = (factor: number): void => {
    const box = frame.current?.getBoundingClientRect();
    setView((current) => zoomed(current, factor, (box?.width ?? 0) / 2, (box?.height ?? 0) / 2));
  };

  return (
    <div className="zoom-pan">
      <div
        ref={frame}
        className={`zoom-frame${view.scale > 1 ? ' zoomed' : ''}`}
        data-testid="zoom-frame"
        data-scale={view.scale.toFixed(2)}
        aria-label={label}
        onPointerDown={(event) => {
          if (view.scale > 1) {
            event.currentTarget.setPointerCapture(event.pointerId);
            drag.current = { pointerId: event.pointerId, x: event.clientX, y: event.clientY };
          }
        }}
        onPointerMove={(event) => {
          const start = drag.current;
          if (start?.pointerId !== event.pointerId) {
            return;
          }
          const dx = event.clientX - start.x;
          const dy = event.clientY - start.y;
          drag.current = { pointerId: event.pointerId, x: event.clientX, y: event.clientY };
          setView((current) => ({ ...current, x: current.x + dx, y: current.y + dy }));
        }}
        onPointerUp={() => {
          drag.current = undefined;
        }}
        onPointerCancel={() => {
          drag.current = undefined;
        }}
      >
        <div
          className="zoom-stage"
          style={{ transform: `translate(${view.x}px, ${view.y}px) scale(${view.scale})` }}
        >
          {children}
        </div>
      </div>
      <div className="zoom-controls">
        <button
          type="button"
          onClick={() => {
            zoomCentre(1.5);
          }}
          aria-label="Zoom in"
        >
          +
        </button>
        <button
          type="button"
          onClick={() => {
            zoomCentre(1 / 1.5);
          }}
          aria-label="Zoom out"
        >
          −
        </button>
        <button
          type="button"
          onClick={() => {
            setView(identity);
          }}
        >
          Reset
        </button>
        <span className="zoom-level">{Math.round(view.scale * 100)} %</span>
      </div>
    </div>
  );
}

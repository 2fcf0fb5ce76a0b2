// The foundation SDK fills each object it builds from its own defaults, and a few of those are fields that
// Grafana's current schema (@grafana/schema, the types test/unit/dashboards/grafana-schema.test.ts checks
// the JSON against) does not have. Grafana ignores them on load; they are removed so the generated JSON is
// exactly what Grafana's schema describes and an unknown field in it is always a real mistake.
/* eslint-disable @typescript-eslint/no-deprecated -- classic (v1) dashboard model, see files.ts */
import {
  VariableType,
  type Dashboard,
  type Panel,
  type RowPanel,
  type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';

/** `auto`, `auto_min`, `auto_count` belong to interval variables; the SDK's defaults put them on every kind. */
function pruneVariable(variable: VariableModel): VariableModel {
  if (variable.type === VariableType.Interval) return variable;
  const { auto: _auto, auto_min: _autoMin, auto_count: _autoCount, ...rest } = variable;
  return rest;
}

/**
 * The table plugin's `options.footer` moved to the per-field config (`custom.footer`) in Grafana 12; the SDK
 * still defaults the old, hidden one. vmfleet's tables have no footer.
 */
function pruneTable(panel: Panel): Panel {
  if (panel.type !== 'table' || typeof panel.options !== 'object' || panel.options === null) return panel;
  const { footer: _footer, ...options } = panel.options as Record<string, unknown>;
  return { ...panel, options };
}

const isRow = (panel: Panel | RowPanel): panel is RowPanel => panel.type === 'row';

function prunePanel(panel: Panel | RowPanel): Panel | RowPanel {
  return isRow(panel) ? { ...panel, panels: panel.panels.map(pruneTable) } : pruneTable(panel);
}

export function pruneSdkDefaults(board: Dashboard): Dashboard {
  return {
    ...board,
    templating: { ...board.templating, list: board.templating.list?.map(pruneVariable) },
    panels: board.panels?.map(prunePanel),
  };
}

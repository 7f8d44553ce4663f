/**
 * Chart.js, registered once with only the parts NetSprout draws (bars, lines, scatter), in the app's fonts and
 * colours. Chart.js is maintained, draws on a canvas (smooth with hundreds of points), and has hover tooltips.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale, LineController, LineElement, PointElement, ScatterController, Tooltip, Legend, Filler);

Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue('--font').trim() || 'system-ui, sans-serif';
Chart.defaults.font.size = 12;
Chart.defaults.color = '#5d6777';
Chart.defaults.borderColor = '#e8ebef';
Chart.defaults.plugins.tooltip.backgroundColor = '#1f2632';
Chart.defaults.plugins.tooltip.padding = 8;
Chart.defaults.plugins.tooltip.cornerRadius = 6;
Chart.defaults.animation = { duration: 250 };

export const CHART_COLORS = {
  primary: '#2c7a57',
  primarySoft: 'rgba(44, 122, 87, 0.15)',
  accent: '#3b6fd8',
  grey: '#a3acb9',
  greySoft: 'rgba(130, 140, 155, 0.45)',
  warn: '#d9901a',
  danger: '#c2410c',
};

export { Chart };

/** Pictures and reports of attributions: heatmaps, overlays, text highlighting, bar charts, HTML reports. */
package org.explain4j.viz;

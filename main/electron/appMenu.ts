/** The desktop app's menu: the usual edit and window roles, the data folder, and where to read more. */
import { Menu, shell, type MenuItemConstructorOptions } from 'electron';

export function buildAppMenu(opts: { dataFolder: string; isMac: boolean; devTools: boolean }): Menu {
  const template: MenuItemConstructorOptions[] = [
    ...(opts.isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Show Data Folder', click: () => void shell.openPath(opts.dataFolder) },
        { type: 'separator' },
        opts.isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(opts.devTools ? [{ type: 'separator' as const }, { role: 'toggleDevTools' as const }] : []),
      ],
    },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}

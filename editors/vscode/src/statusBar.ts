/** The status bar item: active route, open breakers; a click shows the route statistics. */

import * as vscode from 'vscode';

import { EditorCommand } from './commandIds';
import { type ClientState, type RouteStatus, statusBarView } from './routeStatus';
import type { Route } from './settings';

const BACKGROUNDS = {
  warning: new vscode.ThemeColor('statusBarItem.warningBackground'),
  error: new vscode.ThemeColor('statusBarItem.errorBackground'),
} as const;

export class RouteStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('lift.route', vscode.StatusBarAlignment.Right, 100);
  private state: ClientState = 'starting';
  private status: RouteStatus | undefined;

  constructor(private readonly configuredRoute: () => Route) {
    this.item.name = 'Lift route';
    this.render();
    this.item.show();
  }

  setState(state: ClientState): void {
    this.state = state;
    if (state !== 'running') {
      this.status = undefined; // a restarted server reports afresh
    }
    this.render();
  }

  setStatus(status: RouteStatus): void {
    this.status = status;
    this.render();
  }

  /** The settings changed: the route shown before the server reports one may be different. */
  refresh(): void {
    this.render();
  }

  dispose(): void {
    this.item.dispose();
  }

  private render(): void {
    const view = statusBarView(this.state, this.status, this.configuredRoute());
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.background === undefined ? undefined : BACKGROUNDS[view.background];
    this.item.command = this.state === 'stopped' ? EditorCommand.restartServer : EditorCommand.showStats;
  }
}

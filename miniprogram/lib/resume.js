// When to look again for backups cut short: the app came back to the foreground (App.onShow)
// or the network returned (wx.onNetworkStatusChange). The backup page listens while it lives;
// it also looks when a run ends, since a call interrupted in the background fails only after
// the app is back (the page was busy when onShow came).

/** @type {Set<(reason: string) => void>} */
const listeners = new Set()

const state = { hidden: false, online: true }

/** @param {(reason: string) => void} fn @returns {() => void} to stop listening */
function onResume (fn) {
  listeners.add(fn)
  return () => { listeners.delete(fn) }
}

/** @param {string} reason 'show' or 'network' */
function resume (reason) {
  for (const fn of Array.from(listeners)) fn(reason)
}

/** Worth trying now: in the foreground, with a network. */
function canRun () {
  return !state.hidden && state.online
}

/** Called once from App.onLaunch. */
function watchNetwork () {
  wx.onNetworkStatusChange((res) => {
    const back = res.isConnected && !state.online
    state.online = res.isConnected
    if (back) resume('network')
  })
}

function appShown () {
  state.hidden = false
  resume('show')
}

function appHidden () {
  state.hidden = true
}

module.exports = { onResume, resume, canRun, watchNetwork, appShown, appHidden, state }

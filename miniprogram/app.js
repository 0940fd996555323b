// imgbackup's WeChat mini program. Set serverUrl to your server (HTTPS, whitelisted in the
// mini program console: see README.md).

const resume = require('./lib/resume.js')

App({
  globalData: {
    serverUrl: 'https://photos.example.com',
    // The original API's prefix: uploads go to serverUrl + apiVersion + 'service/image/'.
    apiVersion: '/api/v1.0/',
    // The API token, also kept in storage; set by lib/api.js after wx.login.
    token: '',
    // Set when photos were added or restored, so the photos page reloads when shown.
    photosDirty: false,
    // Set when photos were moved to the trash, so the trash page reloads when shown.
    trashDirty: false
  },

  onLaunch () {
    // Backups cut short resume when the network returns.
    resume.watchNetwork()
  },

  onShow () {
    // Back from the background: backups interrupted there resume (see lib/resume.js).
    resume.appShown()
  },

  onHide () {
    resume.appHidden()
  }
})

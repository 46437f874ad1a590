// An in-memory PLC directory on loopback for the reference PDS (bench only).
// Prints "plc listening port=<port>" once it accepts connections. PLC_PORT=0 picks a free port.
import plcServer from '@did-plc/server'

const { PlcServer, Database } = plcServer
const plc = PlcServer.create({ db: Database.mock(), port: Number(process.env.PLC_PORT ?? 0) })
// PlcServer.start() listens on every interface; keep it on loopback.
const listen = plc.app.listen.bind(plc.app)
plc.app.listen = (port) => listen(port, '127.0.0.1')
const server = await plc.start()
console.log(`plc listening port=${server.address().port}`)

const stop = async () => {
  await plc.destroy()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
